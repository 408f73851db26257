/** @module Interface qdrant:retriever/types@0.1.0 **/
/**
 * Qdrant's read consistency.
 */
export type ReadConsistency = ReadConsistencyFactor | ReadConsistencyMajority | ReadConsistencyQuorum | ReadConsistencyAll;
/**
 * This many replicas answer; a point must be on all of them.
 */
export interface ReadConsistencyFactor {
  tag: 'factor',
  val: number,
}
/**
 * Half of the replicas plus one.
 */
export interface ReadConsistencyMajority {
  tag: 'majority',
}
/**
 * All replicas; a point must be on most of them.
 */
export interface ReadConsistencyQuorum {
  tag: 'quorum',
}
/**
 * All replicas; a point must be on all of them.
 */
export interface ReadConsistencyAll {
  tag: 'all',
}
/**
 * Qdrant's write ordering.
 * # Variants
 * 
 * ## `"weak"`
 * 
 * Writes may be reordered (fastest).
 * ## `"medium"`
 * 
 * Writes go through a dynamically chosen leader.
 * ## `"strong"`
 * 
 * Writes go through the permanent leader.
 */
export type WriteOrdering = 'weak' | 'medium' | 'strong';
/**
 * A shard key of a collection with custom sharding.
 */
export type ShardKey = ShardKeyKeyword | ShardKeyNumber;
export interface ShardKeyKeyword {
  tag: 'keyword',
  val: string,
}
export interface ShardKeyNumber {
  tag: 'number',
  val: bigint,
}
export interface ShardKeyFallback {
  target: ShardKey,
  fallback: ShardKey,
}
export type ShardKeySelector = ShardKeySelectorKeys | ShardKeySelectorWithFallback;
/**
 * These shards (one key or several).
 */
export interface ShardKeySelectorKeys {
  tag: 'keys',
  val: Array<ShardKey>,
}
/**
 * `target`'s shard if that key exists, else `fallback`'s (writes: Qdrant 1.16+).
 */
export interface ShardKeySelectorWithFallback {
  tag: 'with-fallback',
  val: ShardKeyFallback,
}
/**
 * Exponential backoff with jitter, for reads and writes whose ids are fixed before the
 * first attempt, after a dropped connection, a timeout, 429, 502, 503 or 504.
 * Validation errors (4xx) are never retried.
 */
export interface RetryPolicy {
  /**
   * Attempts in total, including the first (1 disables retries). Default 3.
   */
  maxAttempts: number,
  /**
   * Delay before the first retry; doubles per attempt, with up to 50 % jitter.
   * Default 50.
   */
  initialBackoffMs: number,
  /**
   * Cap on one delay (a 429's `Retry-After` may ask for longer: then no retry).
   * Default 2 000.
   */
  maxBackoffMs: number,
  /**
   * No retry starts after this much time has passed since the first attempt.
   * Default 10 000.
   */
  maxElapsedMs: number,
}
/**
 * Where the component sends requests, how it authenticates, and how patient it is.
 * Every `option` left `none` takes the component's default.
 */
export interface Config {
  /**
   * Base URL of the Qdrant REST API, e.g. `http://localhost:6333`.
   */
  url: string,
  /**
   * Sent as the `api-key` header, only to `url`'s origin.
   */
  apiKey?: string,
  /**
   * Read timeout in milliseconds: the wait for the first byte of the answer and
   * between bytes. Default 30 000.
   */
  timeoutMs?: number,
  /**
   * Connect timeout in milliseconds. Default 5 000.
   */
  connectTimeoutMs?: number,
  /**
   * Qdrant's server-side `timeout` query parameter in seconds, for operations that
   * take one (queries, counts, scrolls, collection changes). Default: the server's.
   */
  serverTimeoutS?: number,
  /**
   * Retries of idempotent operations. Default: see `retry-policy`.
   */
  retry?: RetryPolicy,
  /**
   * Retries of each request of an upsert: bulk writes run long, so they get a budget
   * that outlasts transient faults. Default: 8 attempts, 100 ms doubling to at most
   * 5 s, 60 s per request.
   */
  upsertRetry?: RetryPolicy,
  /**
   * Points per upsert request (requests are also split to stay under 32 MB).
   * Default 256.
   */
  upsertBatchSize?: number,
  /**
   * How many replicas must answer a read (gets, counts, scrolls, queries) of a
   * replicated collection: Qdrant's `consistency`. Default: the server's (one).
   */
  readConsistency?: ReadConsistency,
  /**
   * How writes to a replicated collection are ordered: Qdrant's `ordering`.
   * Default: the server's (`weak`).
   */
  writeOrdering?: WriteOrdering,
  /**
   * For a collection with custom sharding: the shards operations go to. Writes go
   * to these shards; reads look only in them. Default: writes need a key (Qdrant
   * refuses them without one, unless the collection has a fallback), reads look in
   * every shard.
   */
  shardKey?: ShardKeySelector,
}
export interface ServerError {
  status: number,
  message: string,
}
/**
 * Every failure an operation can report. Messages never contain the api-key.
 */
export type Error = ErrorConnection | ErrorTimeout | ErrorUnauthorized | ErrorForbidden | ErrorNotFound | ErrorBadRequest | ErrorConflict | ErrorRateLimited | ErrorServer | ErrorInvalidInput | ErrorDecode;
/**
 * The server could not be reached (refused, DNS, TLS, reset).
 */
export interface ErrorConnection {
  tag: 'connection',
  val: string,
}
/**
 * A connect, first-byte or between-bytes timeout expired.
 */
export interface ErrorTimeout {
  tag: 'timeout',
  val: string,
}
/**
 * 401 from the server.
 */
export interface ErrorUnauthorized {
  tag: 'unauthorized',
  val: string,
}
/**
 * 403 from the server, or the host's egress policy denied the request.
 */
export interface ErrorForbidden {
  tag: 'forbidden',
  val: string,
}
/**
 * 404: unknown collection, point or snapshot.
 */
export interface ErrorNotFound {
  tag: 'not-found',
  val: string,
}
/**
 * 400 or 422: Qdrant rejected the request; carries Qdrant's message.
 */
export interface ErrorBadRequest {
  tag: 'bad-request',
  val: string,
}
/**
 * 409: e.g. the collection already exists.
 */
export interface ErrorConflict {
  tag: 'conflict',
  val: string,
}
/**
 * 429; carries `Retry-After` in seconds when the server sent it.
 */
export interface ErrorRateLimited {
  tag: 'rate-limited',
  val: number | undefined,
}
/**
 * Any other non-success status.
 */
export interface ErrorServer {
  tag: 'server',
  val: ServerError,
}
/**
 * Rejected by the component before any request was sent.
 */
export interface ErrorInvalidInput {
  tag: 'invalid-input',
  val: string,
}
/**
 * The server answered with something that is not what Qdrant sends.
 */
export interface ErrorDecode {
  tag: 'decode',
  val: string,
}
/**
 * Version information from `GET /`.
 */
export interface ServerInfo {
  title: string,
  version: string,
}
/**
 * ---- collections -------------------------------------------------------------------
 * # Variants
 * 
 * ## `"cosine"`
 * 
 * ## `"dot"`
 * 
 * ## `"euclid"`
 * 
 * ## `"manhattan"`
 */
export type Distance = 'cosine' | 'dot' | 'euclid' | 'manhattan';
export interface HnswConfig {
  /**
   * Edges per node.
   */
  m?: number,
  /**
   * Neighbours considered while building.
   */
  efConstruct?: number,
  /**
   * Below this many KB of vectors a segment is searched exhaustively.
   */
  fullScanThreshold?: number,
  onDisk?: boolean,
}
/**
 * # Variants
 * 
 * ## `"x4"`
 * 
 * ## `"x8"`
 * 
 * ## `"x16"`
 * 
 * ## `"x32"`
 * 
 * ## `"x64"`
 */
export type CompressionRatio = 'x4' | 'x8' | 'x16' | 'x32' | 'x64';
/**
 * Scalar quantization is always int8 (Qdrant's only scalar type).
 */
export interface ScalarQuantization {
  /**
   * Fraction of values used to find the int8 range, e.g. 0.99.
   */
  quantile?: number,
  alwaysRam?: boolean,
}
export interface ProductQuantization {
  compression: CompressionRatio,
  alwaysRam?: boolean,
}
export interface BinaryQuantization {
  alwaysRam?: boolean,
}
export type Quantization = QuantizationScalar | QuantizationProduct | QuantizationBinary;
export interface QuantizationScalar {
  tag: 'scalar',
  val: ScalarQuantization,
}
export interface QuantizationProduct {
  tag: 'product',
  val: ProductQuantization,
}
export interface QuantizationBinary {
  tag: 'binary',
  val: BinaryQuantization,
}
/**
 * One dense vector space of a collection.
 */
export interface VectorParams {
  /**
   * Empty for the single unnamed vector; otherwise the name used in `using`.
   */
  name: string,
  size: bigint,
  distance: Distance,
  onDisk?: boolean,
  hnsw?: HnswConfig,
  quantization?: Quantization,
}
/**
 * # Variants
 * 
 * ## `"none"`
 * 
 * ## `"idf"`
 * 
 * Inverse document frequency, applied by the server (for BM25-style vectors).
 */
export type SparseModifier = 'none' | 'idf';
export interface SparseVectorParams {
  name: string,
  modifier: SparseModifier,
  onDisk?: boolean,
}
/**
 * # Variants
 * 
 * ## `"auto"`
 * 
 * Points are spread over `shard-number` shards by id.
 * ## `"custom"`
 * 
 * Shards are created per shard key, and writes name their key.
 */
export type ShardingMethod = 'auto' | 'custom';
export interface CollectionConfig {
  /**
   * Either one entry with an empty name (the unnamed vector) or named entries.
   */
  vectors: Array<VectorParams>,
  sparseVectors: Array<SparseVectorParams>,
  hnsw?: HnswConfig,
  quantization?: Quantization,
  onDiskPayload?: boolean,
  shardNumber?: number,
  replicationFactor?: number,
  writeConsistencyFactor?: number,
  /**
   * `custom` lets the user place points by shard key (`create-shard-key`, then
   * `config.shard-key`). Default `auto`.
   */
  shardingMethod?: ShardingMethod,
}
export type QuantizationChange = QuantizationChangeEnable | QuantizationChangeDisable;
export interface QuantizationChangeEnable {
  tag: 'enable',
  val: Quantization,
}
export interface QuantizationChangeDisable {
  tag: 'disable',
}
export interface CollectionUpdate {
  hnsw?: HnswConfig,
  quantization?: QuantizationChange,
}
/**
 * # Variants
 * 
 * ## `"green"`
 * 
 * ## `"yellow"`
 * 
 * ## `"grey"`
 * 
 * ## `"red"`
 */
export type CollectionStatus = 'green' | 'yellow' | 'grey' | 'red';
export interface Alias {
  alias: string,
  collection: string,
}
/**
 * ---- points -------------------------------------------------------------------------
 * Dense vectors, carried compactly: little-endian IEEE-754 f32 values (4 bytes each),
 * row-major. The component answers with `base64`; callers pick the case their runtime
 * lowers in one copy.
 */
export type PackedVectors = PackedVectorsLeBytes | PackedVectorsBase64;
/**
 * The bytes themselves (wasmtime lowers `list<u8>` with one copy).
 */
export interface PackedVectorsLeBytes {
  tag: 'le-bytes',
  val: Uint8Array,
}
/**
 * The bytes base64-encoded (standard alphabet, padded). Hosts such as wasmtime-py
 * lower `list<f32>` and `list<u8>` element by element, while a string crosses in
 * one copy.
 */
export interface PackedVectorsBase64 {
  tag: 'base64',
  val: string,
}
export interface SparseVector {
  indices: Uint32Array,
  values: Float32Array,
}
/**
 * One dense vector per point of a batch, row-major.
 */
export interface DenseColumn {
  /**
   * Empty for the unnamed vector.
   */
  name: string,
  dimension: number,
  /**
   * `points * dimension` values.
   */
  data: PackedVectors,
}
/**
 * One sparse vector per point of a batch.
 */
export interface SparseColumn {
  name: string,
  vectors: Array<SparseVector>,
}
/**
 * Points to upsert, column-wise so bulk data crosses the boundary in few copies.
 */
export interface PointBatch {
  /**
   * One id per point: an unsigned integer (`"42"`), a UUID, or any other non-empty
   * string, which is mapped to a deterministic UUID (v5) and kept in the payload
   * under `_string_id` so results report it back unchanged.
   */
  ids: Array<string>,
  dense: Array<DenseColumn>,
  sparse: Array<SparseColumn>,
  /**
   * One JSON object per point, or an empty list for no payloads.
   */
  payloads: Array<string>,
}
export type VectorData = VectorDataDense | VectorDataSparse;
export interface VectorDataDense {
  tag: 'dense',
  val: PackedVectors,
}
export interface VectorDataSparse {
  tag: 'sparse',
  val: SparseVector,
}
export interface NamedVector {
  /**
   * Empty for the unnamed vector.
   */
  name: string,
  vector: VectorData,
}
/**
 * A stored point, as get and scroll return it.
 */
export interface Point {
  /**
   * The id as it was upserted (see `point-batch.ids`).
   */
  id: string,
  /**
   * The payload as a JSON object (`{}` when not requested).
   */
  payload: string,
  /**
   * Empty unless vectors were requested.
   */
  vectors: Array<NamedVector>,
}
export type PayloadSelector = PayloadSelectorAll | PayloadSelectorNone | PayloadSelectorInclude | PayloadSelectorExclude;
export interface PayloadSelectorAll {
  tag: 'all',
}
export interface PayloadSelectorNone {
  tag: 'none',
}
export interface PayloadSelectorInclude {
  tag: 'include',
  val: Array<string>,
}
export interface PayloadSelectorExclude {
  tag: 'exclude',
  val: Array<string>,
}
export type VectorSelector = VectorSelectorAll | VectorSelectorNone | VectorSelectorOnly;
export interface VectorSelectorAll {
  tag: 'all',
}
export interface VectorSelectorNone {
  tag: 'none',
}
export interface VectorSelectorOnly {
  tag: 'only',
  val: Array<string>,
}
export interface Range {
  gt?: number,
  gte?: number,
  lt?: number,
  lte?: number,
}
/**
 * A typed field condition, for the common cases of the filter language.
 */
export type Condition = ConditionKeyword | ConditionInteger | ConditionBoolean | ConditionAnyKeyword | ConditionExceptKeyword | ConditionText | ConditionRange | ConditionIsEmpty | ConditionIsNull | ConditionHasId;
/**
 * Exact keyword match.
 */
export interface ConditionKeyword {
  tag: 'keyword',
  val: [string, string],
}
export interface ConditionInteger {
  tag: 'integer',
  val: [string, bigint],
}
export interface ConditionBoolean {
  tag: 'boolean',
  val: [string, boolean],
}
/**
 * The field equals any of the keywords.
 */
export interface ConditionAnyKeyword {
  tag: 'any-keyword',
  val: [string, Array<string>],
}
/**
 * The field equals none of the keywords.
 */
export interface ConditionExceptKeyword {
  tag: 'except-keyword',
  val: [string, Array<string>],
}
/**
 * Full-text match (needs a text index on a real Qdrant).
 */
export interface ConditionText {
  tag: 'text',
  val: [string, string],
}
export interface ConditionRange {
  tag: 'range',
  val: [string, Range],
}
export interface ConditionIsEmpty {
  tag: 'is-empty',
  val: string,
}
export interface ConditionIsNull {
  tag: 'is-null',
  val: string,
}
/**
 * The point's id is one of these (same id forms as `point-batch.ids`).
 */
export interface ConditionHasId {
  tag: 'has-id',
  val: Array<string>,
}
export interface Conditions {
  must: Array<Condition>,
  should: Array<Condition>,
  mustNot: Array<Condition>,
}
/**
 * Restricts which points an operation sees.
 */
export type Filter = FilterJson | FilterMustMatch | FilterConditions;
/**
 * A Qdrant filter as JSON, in the full filter language (must / should / must_not /
 * min_should, match, range (numbers, or RFC 3339 datetimes), geo, values_count, is_empty, is_null,
 * has_id, nested). Validated by the component before sending.
 */
export interface FilterJson {
  tag: 'json',
  val: string,
}
/**
 * Every `(key, value)` pair must match exactly (keyword match).
 */
export interface FilterMustMatch {
  tag: 'must-match',
  val: Array<[string, string]>,
}
export interface FilterConditions {
  tag: 'conditions',
  val: Conditions,
}
export type PointsSelector = PointsSelectorIds | PointsSelectorFilter;
export interface PointsSelectorIds {
  tag: 'ids',
  val: Array<string>,
}
export interface PointsSelectorFilter {
  tag: 'filter',
  val: Filter,
}
/**
 * What a write reports. `completed` is false when `wait` was false and the server only
 * acknowledged the operation.
 */
export interface UpdateResult {
  operationId?: bigint,
  completed: boolean,
}
export interface ScrollRequest {
  filter?: Filter,
  /**
   * Points per page.
   */
  limit: number,
  /**
   * `next-offset` of the previous page; `none` starts at the beginning.
   */
  offset?: string,
  withPayload: PayloadSelector,
  withVectors: VectorSelector,
}
export interface ScrollPage {
  points: Array<Point>,
  /**
   * Pass as `offset` to get the next page; `none` on the last page.
   */
  nextOffset?: string,
}
/**
 * ---- queries ------------------------------------------------------------------------
 */
export type QueryVector = QueryVectorDense | QueryVectorSparse | QueryVectorPoint;
export interface QueryVectorDense {
  tag: 'dense',
  val: PackedVectors,
}
export interface QueryVectorSparse {
  tag: 'sparse',
  val: SparseVector,
}
/**
 * Nearest to the stored vector of this point.
 */
export interface QueryVectorPoint {
  tag: 'point',
  val: string,
}
export interface SearchParams {
  /**
   * Candidates kept while searching the HNSW graph.
   */
  hnswEf?: number,
  /**
   * Exhaustive search (exact scores, no index).
   */
  exact: boolean,
}
/**
 * # Variants
 * 
 * ## `"rrf"`
 * 
 * Reciprocal rank fusion.
 * ## `"dbsf"`
 * 
 * Distribution-based score fusion.
 */
export type Fusion = 'rrf' | 'dbsf';
export type Query = QueryNearest | QueryFusion;
export interface QueryNearest {
  tag: 'nearest',
  val: QueryVector,
}
/**
 * Fuses the results of the request's `prefetch` stages.
 */
export interface QueryFusion {
  tag: 'fusion',
  val: Fusion,
}
/**
 * A first stage whose results the main query re-scores or fuses.
 */
export interface Prefetch {
  query: QueryVector,
  /**
   * Named vector to search; `none` for the unnamed one.
   */
  using?: string,
  filter?: Filter,
  limit: number,
  scoreThreshold?: number,
  params?: SearchParams,
}
/**
 * One Query API request (`/points/query`).
 */
export interface QueryRequest {
  query: Query,
  using?: string,
  prefetch: Array<Prefetch>,
  filter?: Filter,
  limit: number,
  offset: number,
  scoreThreshold?: number,
  withPayload: PayloadSelector,
  withVectors: VectorSelector,
  params?: SearchParams,
}
export interface ScoredPoint {
  /**
   * The id as it was upserted (see `point-batch.ids`).
   */
  id: string,
  score: number,
  /**
   * The payload as a JSON object (`{}` when not requested).
   */
  payload: string,
  /**
   * Empty unless vectors were requested.
   */
  vectors: Array<NamedVector>,
}
/**
 * ---- payload indexes and snapshots --------------------------------------------------
 * # Variants
 * 
 * ## `"keyword"`
 * 
 * ## `"integer"`
 * 
 * ## `"float"`
 * 
 * ## `"boolean"`
 * 
 * ## `"geo"`
 * 
 * ## `"datetime"`
 * 
 * ## `"text"`
 * 
 * ## `"uuid"`
 */
export type PayloadSchemaType = 'keyword' | 'integer' | 'float' | 'boolean' | 'geo' | 'datetime' | 'text' | 'uuid';
export interface CollectionInfo {
  status: CollectionStatus,
  pointsCount?: bigint,
  indexedVectorsCount?: bigint,
  segmentsCount: bigint,
  vectors: Array<VectorParams>,
  sparseVectors: Array<SparseVectorParams>,
  shardNumber?: number,
  replicationFactor?: number,
  /**
   * Indexed payload fields and their types.
   */
  payloadSchema: Array<[string, PayloadSchemaType]>,
  /**
   * Qdrant's whole `config` object as JSON, for everything not typed above.
   */
  configJson: string,
}
export interface Snapshot {
  name: string,
  /**
   * ISO 8601, as the server reports it.
   */
  creationTime?: string,
  size: bigint,
  checksum?: string,
}
