/** The HTML report's inline stylesheet (screen and print) and its optional script. Constants: no input in here. */

export const CSS = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--crit:#b91c1c;--high:#c2410c;--med:#a16207;--low:#4b5563;--ok:#15803d}
*{box-sizing:border-box}
body{font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:#fff;margin:0 auto;max-width:1120px;padding:24px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:19px;border-bottom:1px solid var(--line);padding-bottom:4px;margin:36px 0 12px}
h3{font-size:16px;margin:20px 0 8px}
p{margin:8px 0}
.muted{color:var(--muted)}
nav.toc{font-size:13px;margin:12px 0 0}
nav.toc a{margin-right:12px;color:#0969da;text-decoration:none}
.verdict{border-left:6px solid var(--low);background:var(--soft);padding:12px 16px;margin:8px 0}
.verdict.exhausted{border-color:var(--crit)}
.verdict.at-risk{border-color:var(--high)}
.verdict.healthy{border-color:var(--ok)}
.verdict p.lead{font-size:16px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px;color:#fff;background:var(--low);vertical-align:middle}
.badge.exhausted,.badge.critical{background:var(--crit)}
.badge.at-risk,.badge.high{background:var(--high)}
.badge.medium{background:var(--med)}
.badge.healthy{background:var(--ok)}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:13px}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.sortable th{cursor:pointer}
table.sortable th[aria-sort=ascending]::after{content:" \\25B4"}
table.sortable th[aria-sort=descending]::after{content:" \\25BE"}
td.wrap{overflow-wrap:anywhere;min-width:12em}
pre{background:var(--soft);padding:8px 12px;overflow-x:auto;font:12px/1.45 ui-monospace,SFMono-Regular,Consolas,"Liberation Mono",monospace;white-space:pre;border-radius:4px}
code{font:12px ui-monospace,SFMono-Regular,Consolas,"Liberation Mono",monospace;background:var(--soft);padding:0 3px;border-radius:3px;word-break:break-all}
.spark{font-family:ui-monospace,Consolas,monospace;white-space:nowrap;color:#d62728}
.figure{margin:12px 0}
.figure figcaption{font-weight:600;margin-bottom:2px}
.multiples{display:grid;grid-template-columns:repeat(auto-fill,minmax(440px,1fr));gap:16px}
svg.chart{width:100%;height:auto;display:block;overflow:visible}
svg.chart text{font:11px system-ui,sans-serif;fill:#59636e}
svg.chart .gl{stroke:#eaeef2}
svg.chart .axis,svg.chart .tickmark{stroke:#8c959f}
svg.chart .ylabel{font-weight:600}
svg.chart .series{stroke-width:1.3;stroke-linejoin:round}
svg.chart .series.main{stroke-width:2.2}
svg.chart .limit line{stroke:#b91c1c;stroke-width:1.5;stroke-dasharray:6 4}
svg.chart .limit text{fill:#b91c1c;font-weight:600}
svg.chart .marker line{stroke:#7c3aed;stroke-width:1.2;stroke-dasharray:3 3}
svg.chart .marker text{fill:#7c3aed;font-weight:600}
svg.chart .trend{stroke:#444;stroke-width:1;stroke-dasharray:2 3;opacity:.85}
svg.chart .xlabel,svg.chart .ytitle{font-style:italic}
svg.chart .offchart{fill:#111;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
svg.chart .projection{stroke:#111;stroke-width:1.6;stroke-dasharray:6 4}
svg.chart .gap{fill:#eef0f3}
svg.chart .hits rect{fill:transparent}
svg.chart .hits rect:hover{fill:rgba(31,35,40,.08)}
.legend{list-style:none;padding:0;margin:4px 0 0;display:flex;flex-wrap:wrap;gap:2px 14px;font-size:12px;color:var(--muted)}
.legend i{display:inline-block;width:14px;height:10px;margin-right:5px;vertical-align:middle;background:var(--c)}
.legend i.dash{height:0;border-top:2px dashed var(--c);background:none}
.finding{border:1px solid var(--line);border-radius:6px;padding:4px 16px 8px;margin:12px 0}
details.evidence{margin:8px 0}
details.evidence summary{cursor:pointer;font-weight:600}
#tip{position:fixed;pointer-events:none;background:#1f2328;color:#fff;padding:4px 8px;border-radius:4px;font-size:12px;white-space:pre;display:none;z-index:10}
footer{margin-top:40px;font-size:12px;color:var(--muted)}
@page{margin:14mm}
@media print{
body{max-width:none;padding:0;font-size:11px}
nav.toc,#tip{display:none}
.figure,.finding,pre,tr,.verdict{break-inside:avoid;page-break-inside:avoid}
h2,h3{break-after:avoid;page-break-after:avoid}
.multiples{grid-template-columns:1fr 1fr}
a{color:inherit;text-decoration:none}
}
`.trim()

/**
 * Progressive enhancement only: sortable tables and styled chart tooltips. The page reads fully
 * without it (native SVG `<title>` tooltips). Sets text with `textContent`, never HTML.
 */
export const SCRIPT = `
(function(){
var tip=document.createElement('div');tip.id='tip';document.body.appendChild(tip);
function hide(){tip.style.display='none'}
document.querySelectorAll('svg.chart .hits rect,svg.chart .marker,svg.chart .gap').forEach(function(el){
var t=el.querySelector('title');if(!t)return;var text=t.textContent;t.parentNode.removeChild(t);
el.addEventListener('mousemove',function(e){tip.textContent=text;tip.style.display='block';
var x=e.clientX+14,y=e.clientY+14;if(x+tip.offsetWidth>innerWidth)x=e.clientX-14-tip.offsetWidth;
if(y+tip.offsetHeight>innerHeight)y=e.clientY-14-tip.offsetHeight;tip.style.left=x+'px';tip.style.top=y+'px'});
el.addEventListener('mouseleave',hide)});
document.querySelectorAll('table.sortable').forEach(function(table){
var heads=table.tHead?table.tHead.rows[0].cells:[];
Array.prototype.forEach.call(heads,function(th,i){th.tabIndex=0;
function sort(){var body=table.tBodies[0];if(!body)return;var asc=th.getAttribute('aria-sort')!=='ascending';
Array.prototype.forEach.call(heads,function(h){h.removeAttribute('aria-sort')});th.setAttribute('aria-sort',asc?'ascending':'descending');
var rows=Array.prototype.slice.call(body.rows);
var numeric=rows.every(function(r){return r.cells[i]&&r.cells[i].hasAttribute('data-v')});
function key(r){var c=r.cells[i];return c?(numeric?Number(c.getAttribute('data-v')):c.textContent):''}
rows.sort(function(a,b){var x=key(a),y=key(b);var d=numeric?x-y:String(x).localeCompare(String(y));return asc?d:-d});
rows.forEach(function(r){body.appendChild(r)})}
th.addEventListener('click',sort);th.addEventListener('keydown',function(e){if(e.key==='Enter')sort()})})});
addEventListener('beforeprint',function(){document.querySelectorAll('details').forEach(function(d){d.open=true})});
})();
`.trim()
