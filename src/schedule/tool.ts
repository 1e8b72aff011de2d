/** Who wrote a file. Kept equal to package.json's version by a test (test/schedule/artifact.test.ts). */
export const TOOL = { name: 'graftlr', version: '0.1.0' } as const;
