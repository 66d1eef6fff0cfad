/** A job's preparation (fetch builds, the update's repository, built-in checks), as the composition root makes it. */
export { updatePreparer } from './update-preparer.js';
