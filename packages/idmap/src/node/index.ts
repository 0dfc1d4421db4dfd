export { saveIdMapIndex, loadIdMapIndexFile } from './id-map-file.js';
