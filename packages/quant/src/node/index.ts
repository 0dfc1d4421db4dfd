export { writeTurboQuantIndex, loadTurboQuantIndex, syncTurboQuantIndex } from './turboquant-files.js';
export { TurboQuantPool } from './turboquant-pool.js';
export type { TurboQuantPoolOptions } from './turboquant-pool.js';
