export { saveIvfIndex, loadIvfIndexFile } from './ivf-index-file.js';
