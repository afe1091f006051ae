import t from 'tap';
import { GitopsError, type ErrorCode, type Problem } from '../../src/core/errors.js';

const problem = (code: ErrorCode, file: string): Problem => ({ code, file, message: `${code} here` });

t.test('an error of several problems takes the status of the most severe one, whatever file sorts first', async (t) => {
  const cases: { codes: ErrorCode[]; code: ErrorCode; status: number }[] = [
    { codes: ['GK_BAD_REQUEST', 'GK_INVALID_VALUE'], code: 'GK_INVALID_VALUE', status: 422 },
    { codes: ['GK_INVALID_VALUE', 'GK_TIMEOUT'], code: 'GK_TIMEOUT', status: 504 },
    { codes: ['GK_TIMEOUT', 'GK_GIT'], code: 'GK_GIT', status: 502 },
    { codes: ['GK_NOT_FOUND', 'GK_UNKNOWN_KEY', 'GK_CONFIG'], code: 'GK_CONFIG', status: 500 },
  ];
  for (const { codes, code, status } of cases) {
    // Each code in turn sits in the file that sorts first.
    for (let shift = 0; shift < codes.length; shift++) {
      const problems = codes.map((c, i) => problem(c, `${String.fromCharCode(97 + ((i + shift) % codes.length))}.yaml`));
      const error = new GitopsError(problems);
      t.equal(error.statusCode, status, `${codes.join(' + ')}, ${problems[0]!.code} in a.yaml: ${status}`);
      t.equal(error.code, code);
      t.same(error.toReply(), { statusCode: status, code, error: error.toReply().error, message: error.message });
      t.match(error.message, /^a\.yaml: /, 'the message still lists the problems by file');
    }
  }
});

t.test('among problems of equal severity the first by file and line leads, and an explicit status still wins', async (t) => {
  const error = new GitopsError([problem('GK_UNKNOWN_KEY', 'b.yaml'), problem('GK_INVALID_YAML', 'a.yaml')]);
  t.equal(error.code, 'GK_INVALID_YAML');
  t.equal(error.statusCode, 422);
  t.equal(new GitopsError([problem('GK_BAD_REQUEST', 'a.yaml'), problem('GK_GIT', 'b.yaml')], { statusCode: 503 }).statusCode, 503);
});
