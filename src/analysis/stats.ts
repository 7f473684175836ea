/**
 * Pure statistics of the leak detector: time binning, the rolling floor, Mann-Kendall with the Hamed-Rao
 * correction, Sen's slope, Pettitt's change point, Benjamini-Hochberg, and `trendTest`, which combines them into
 * one explained decision per series. No I/O; every function is total on finite input and documented with its
 * units and complexity. Quadratic steps (Sen's slope) run on at most SEN_MAX_POINTS points.
 */
export {
  averageRanks,
  benjaminiHochberg,
  erfc,
  finiteValues,
  median,
  mkVariance,
  normalCdf,
  normalQuantile,
  normalSf,
  orderStatistic,
  selectInPlace,
  sortedOrder,
} from './stats-core.js'
export type {BhResult, Numbers} from './stats-core.js'
export {ACF_BUDGET, MK_MIN_N, hamedRaoFactor, mannKendall, mkScore} from './stats-mann-kendall.js'
export type {MannKendallOptions, MannKendallResult} from './stats-mann-kendall.js'
export {pettitt} from './stats-pettitt.js'
export type {PettittResult} from './stats-pettitt.js'
export {SEN_MAX_POINTS, senSlope} from './stats-sen.js'
export type {SenSlopeOptions, SenSlopeResult} from './stats-sen.js'
export {MAX_BINS, binByTime, rollingFloorAcf, rollingMin} from './stats-series.js'
export type {BinAggregate, Binned} from './stats-series.js'
export {trendTest} from './stats-trend.js'
export type {TrendChecks, TrendOptions, TrendResult} from './stats-trend.js'
