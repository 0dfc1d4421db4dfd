export { describeVectorIndexConformance } from './conformance.js';
export type { VectorIndexConformanceOptions } from './conformance.js';
export { gaussianMixture, randomVectors } from './generators.js';
export type { GaussianMixtureOptions } from './generators.js';
export { bruteForceTopK, recallAtK, compareWithBruteForce, exactScore, scoreTolerance } from './brute-force.js';
export type { BruteForceResult, BruteForceOptions } from './brute-force.js';
