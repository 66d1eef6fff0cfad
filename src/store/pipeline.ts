export { PIPELINES, type Pipeline } from '../core/records/vocabulary.js';
