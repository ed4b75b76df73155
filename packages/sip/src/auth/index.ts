// Public exports of this layer; re-exported by ../index.ts.
export {
  DIGEST_ALGORITHMS,
  computeDigestResponse,
  digestHash,
  normalizeDigestAlgorithm,
} from './digest-algorithm.js';
export type { DigestAlgorithm, DigestQop, DigestResponseInput } from './digest-algorithm.js';
export {
  formatDigestAuthorization,
  formatDigestChallenge,
  parseAuthParams,
  parseDigestAuthorization,
  parseDigestChallenge,
} from './auth-header.js';
export type {
  DigestAuthorization,
  DigestAuthorizationInput,
  DigestChallenge,
  DigestChallengeInput,
} from './auth-header.js';
export { answerDigestChallenge, authorizationHeaders, selectDigestChallenges } from './digest-client.js';
export type {
  AnswerDigestOptions,
  AuthCredentials,
  DigestRequestParts,
  SelectedChallenge,
} from './digest-client.js';
export { DigestAuthErrorCode, createDigestAuthenticator } from './digest-server.js';
export type {
  DigestAuthError,
  DigestAuthenticator,
  DigestAuthenticatorOptions,
  DigestChallengeResponse,
  DigestVerifyResult,
} from './digest-server.js';
