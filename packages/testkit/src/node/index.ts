export { findPythonWithNumpy } from './python.js';
