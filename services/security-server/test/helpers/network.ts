// The two-Security-Server test network lives in src/testing.ts (`@jplink/security-server/testing`)
// so other packages' tests can put their services behind it; the tests here import it from this path.
export * from '../../src/testing.ts';
