const { compilerOptions } = require('./tsconfig.json');

// jest's own module system is CommonJS: dynamic import() must become require() there, while the
// compiled system keeps Node 16 semantics (real import() of ESM-only packages).
const jestCompilerOptions = { ...compilerOptions, module: 'commonjs', moduleResolution: 'node10' };

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: jestCompilerOptions }],
    // The holiday tables package is ESM-only; Node loads it natively, jest needs it as CommonJS.
    '^.+/@hyunbinseo/holidays-kr/.+\\.js$': ['ts-jest', { tsconfig: { ...jestCompilerOptions, allowJs: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!@hyunbinseo/holidays-kr/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 120_000,
};
