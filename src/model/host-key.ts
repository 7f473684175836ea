/** Host names compare by their first label, case-insensitively: `APP02` is `app02.corp.example`. */
export const hostKey = (host: string) => host.split('.')[0]!.toUpperCase()
