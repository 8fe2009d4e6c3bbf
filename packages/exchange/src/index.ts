// Public API of @jplink/exchange: the JP-Link exchange protocol v1 ("jpx/1") between Security Servers.
// Specification: docs/protocols/exchange.md.
export {
  EXCHANGE_ERROR_CODES,
  ExchangeError,
  exchangeErrorCodes,
  isExchangeError,
  type ExchangeErrorCode,
} from './errors.ts';
export {
  AUTH_OCSP_HEADER,
  BATCH_SIGNATURE_PREFIX,
  DEFAULT_MAX_BATCH,
  DEFAULT_REPLAY_WINDOW_SECONDS,
  EXCHANGE_CONTENT_TYPE,
  EXCHANGE_PATH,
  EXCHANGE_PORT,
  MAX_FRAME_BYTES,
  MESSAGE_DIGEST_PREFIX,
  OCSP_CONTENT_TYPE,
  OCSP_PATH,
  OCSP_PORT,
  PROTOCOL,
} from './constants.ts';
export { FRAME, FrameSplitter, encodeBodyFrames, encodeFrame, readFrames, type Frame, type FrameLimits, type FrameType } from './frames.ts';
export {
  parseMessageHeader,
  parseRequestHeader,
  parseResponseHeader,
  requestHeaderSchema,
  responseHeaderSchema,
  type MessageHeader,
  type MessageKind,
  type RequestHeader,
  type ResponseHeader,
} from './headers.ts';
export {
  MAX_TREE_SIZE,
  errorFrameSchema,
  signatureEnvelopeSchema,
  type ErrorFrame,
  type SignatureAlgorithm,
  type SignatureEnvelope,
} from './envelope.ts';
// Field schemas of jpx/1, shared with the evidence format.
export { base64Bytes, base64Sha256, isCanonicalBase64, isoMillis } from './schema-fields.ts';
export { createDigester, messageDigest, messageDigestFromHashes, type Digester } from './digest.ts';
export { buildHashTree, hashTreeRoot, leafHash, nodeHash, rootFromProof } from './hash-tree.ts';
export { rootSigningInput } from './root-signature.ts';
export { createBatchSigner, type BatchSigner, type BatchSignerOptions, type BatchSignerStats } from './batch-signer.ts';
export { verifyEnvelope, type VerifiedEnvelope, type VerifyEnvelopeInput } from './verify-envelope.ts';
export { memberIdOfSigner } from './signer-identity.ts';
export { MessageParser, parseMessage, readMessage, type ReadMessageOptions, type ReadMessageResult } from './read-message.ts';
export {
  MessageWriter,
  encodeErrorFrame,
  writeMessage,
  type SignFunction,
  type WriteMessageInput,
  type WrittenMessage,
} from './message-writer.ts';
