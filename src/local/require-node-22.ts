/**
 * Imported first by every local entry point (server, driver, demo, bench): do-creds runs on Node 22
 * (Lambda's nodejs22.x). On an older Node the code would fail later with an obscure error (undici
 * needs APIs Node 20 lacks), so say it plainly and stop.
 */
const major = Number(process.versions.node.split('.')[0]);
if (!(major >= 22)) {
  process.stderr.write(
    `do-creds needs Node 22 or newer; this is Node ${process.versions.node}. ` +
      'Run it through npm (`npm start`, `npm test`: the project installs Node 22 as a dev dependency), ' +
      'or install Node 22 (https://nodejs.org, or `nvm install 22`).\n',
  );
  process.exit(1);
}
export {};
