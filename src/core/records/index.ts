export * from './decode.js';
export * from './events.js';
export * from './images.js';
export * from './phase1.js';
export * from './phase2.js';
export * from './promote.js';
export * from './run-record.js';
export * from './vocabulary.js';
