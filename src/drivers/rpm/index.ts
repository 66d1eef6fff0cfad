/** The rpm tools' public face for cli/ and web/: building a demo RPM, what production holds. */
export { buildRpm, rpmToolsAvailable } from './build-rpm.js';
export { productionKey } from './production-key.js';
