/** @module Interface qdrant:retriever/client@0.1.0 **/
/**
 * defaults and user spellings, the same in every host
 * A config for `url` with each option the component decides (timeouts, retries, upsert
 * batch size) set to the value it uses when that option is `none`; what the server
 * decides (server timeout, consistency, ordering, shard key) stays `none`. Start from
 * it rather than spelling out every field. Sends nothing.
 */
export function defaultConfig(url: string): Config;
/**
 * A distance from a user's spelling: Cosine, Dot, Euclid (or Euclidean) or Manhattan,
 * in any case. Sends nothing; `cfg` is unused.
 */
export function distanceNamed(cfg: Config, name: string): Distance;
/**
 * A quantization by name, kept in RAM: `scalar` (or `int8`), `binary`, or `product`
 * (or `pq`, x16 compression), in any case. Sends nothing; `cfg` is unused.
 */
export function quantizationNamed(cfg: Config, name: string): Quantization;
/**
 * service
 * `GET /`: the server's title and version; fails when the server is down.
 */
export function healthCheck(cfg: Config): ServerInfo;
/**
 * `GET /readyz`: whether the server is ready to serve requests.
 */
export function ready(cfg: Config): boolean;
/**
 * collections
 * Creates a collection with one unnamed dense vector.
 */
export function createCollection(cfg: Config, name: string, size: bigint, distance: Distance): void;
/**
 * Creates a collection with any vector layout (named, sparse) and storage options.
 */
export function createCollectionWith(cfg: Config, name: string, config: CollectionConfig): void;
/**
 * Changes HNSW or quantization settings of an existing collection.
 */
export function updateCollection(cfg: Config, name: string, update: CollectionUpdate): void;
/**
 * Deletes a collection; `false` when it did not exist.
 */
export function deleteCollection(cfg: Config, name: string): boolean;
export function collectionExists(cfg: Config, name: string): boolean;
export function getCollection(cfg: Config, name: string): CollectionInfo;
export function listCollections(cfg: Config): Array<string>;
export function createAlias(cfg: Config, alias: string, collection: string): void;
export function deleteAlias(cfg: Config, alias: string): void;
/**
 * All aliases, or those of one collection.
 */
export function listAliases(cfg: Config, collection: string | undefined): Array<Alias>;
/**
 * Creates the shards of `key` in a collection with custom sharding.
 */
export function createShardKey(cfg: Config, collection: string, key: ShardKey): void;
/**
 * Deletes the shards of `key` and every point in them.
 */
export function deleteShardKey(cfg: Config, collection: string, key: ShardKey): void;
/**
 * The shard keys of a collection with custom sharding (empty for `auto`).
 */
export function listShardKeys(cfg: Config, collection: string): Array<ShardKey>;
/**
 * points
 * Upserts in batches (see `config.upsert-batch-size`); returns how many were written.
 * Every point is validated before the first request. When `wait` is true each request
 * returns once its points are searchable.
 */
export function upsertPoints(cfg: Config, collection: string, points: PointBatch, wait: boolean): number;
/**
 * Checks `points` as `upsert-points` does before its first request (ids, vectors,
 * payloads, sizes) and sends nothing. A caller that splits one upsert into several
 * calls checks every part first, so bad input anywhere writes nothing. The collection's
 * vector sizes are not checked (that needs the server). `cfg` is unused: every export
 * takes it first.
 */
export function validatePoints(cfg: Config, points: PointBatch): void;
/**
 * The points with these ids that exist, in the order asked.
 */
export function getPoints(cfg: Config, collection: string, ids: Array<string>, withPayload: PayloadSelector, withVectors: VectorSelector): Array<Point>;
export function deletePoints(cfg: Config, collection: string, selector: PointsSelector, wait: boolean): UpdateResult;
/**
 * Merges `payload` (a JSON object) into the selected points' payloads; with `key`, into
 * the nested object at that path.
 */
export function setPayload(cfg: Config, collection: string, selector: PointsSelector, payload: string, key: string | undefined, wait: boolean): UpdateResult;
/**
 * Replaces the selected points' payloads with `payload`.
 */
export function overwritePayload(cfg: Config, collection: string, selector: PointsSelector, payload: string, wait: boolean): UpdateResult;
export function deletePayloadKeys(cfg: Config, collection: string, selector: PointsSelector, keys: Array<string>, wait: boolean): UpdateResult;
export function clearPayload(cfg: Config, collection: string, selector: PointsSelector, wait: boolean): UpdateResult;
/**
 * Points matching `filter`; `exact` false allows a faster estimate.
 */
export function count(cfg: Config, collection: string, filter: Filter | undefined, exact: boolean): bigint;
/**
 * One page of points in id order; walk a collection by passing `next-offset` back.
 */
export function scroll(cfg: Config, collection: string, request: ScrollRequest): ScrollPage;
/**
 * queries
 * `POST /collections/{name}/points/query`, best first.
 */
export function query(cfg: Config, collection: string, request: QueryRequest): Array<ScoredPoint>;
/**
 * Several queries in one request (`/points/query/batch`); one result list per query.
 */
export function queryBatch(cfg: Config, collection: string, requests: Array<QueryRequest>): Array<Array<ScoredPoint>>;
/**
 * payload indexes
 */
export function createPayloadIndex(cfg: Config, collection: string, field: string, schema: PayloadSchemaType, wait: boolean): UpdateResult;
export function deletePayloadIndex(cfg: Config, collection: string, field: string, wait: boolean): UpdateResult;
/**
 * snapshots
 */
export function createSnapshot(cfg: Config, collection: string): Snapshot;
export function listSnapshots(cfg: Config, collection: string): Array<Snapshot>;
/**
 * `false` when there was no such snapshot.
 */
export function deleteSnapshot(cfg: Config, collection: string, name: string): boolean;
/**
 * Restores `collection` from a snapshot the *server* fetches: a `file://` path on the
 * server, an `http(s)://` URL, or the name of one of this collection's snapshots on the
 * server at `cfg.url`. The api-key is never sent anywhere but `cfg.url` (and the server
 * sends none when it fetches over http).
 */
export function recoverSnapshot(cfg: Config, collection: string, location: string, checksum: string | undefined): void;
export type Config = import('./qdrant-retriever-types.js').Config;
export type Error = import('./qdrant-retriever-types.js').Error;
export type ServerInfo = import('./qdrant-retriever-types.js').ServerInfo;
export type Distance = import('./qdrant-retriever-types.js').Distance;
export type Quantization = import('./qdrant-retriever-types.js').Quantization;
export type CollectionConfig = import('./qdrant-retriever-types.js').CollectionConfig;
export type CollectionUpdate = import('./qdrant-retriever-types.js').CollectionUpdate;
export type CollectionInfo = import('./qdrant-retriever-types.js').CollectionInfo;
export type Alias = import('./qdrant-retriever-types.js').Alias;
export type PointBatch = import('./qdrant-retriever-types.js').PointBatch;
export type Point = import('./qdrant-retriever-types.js').Point;
export type PayloadSelector = import('./qdrant-retriever-types.js').PayloadSelector;
export type VectorSelector = import('./qdrant-retriever-types.js').VectorSelector;
export type PointsSelector = import('./qdrant-retriever-types.js').PointsSelector;
export type Filter = import('./qdrant-retriever-types.js').Filter;
export type UpdateResult = import('./qdrant-retriever-types.js').UpdateResult;
export type ScrollRequest = import('./qdrant-retriever-types.js').ScrollRequest;
export type ScrollPage = import('./qdrant-retriever-types.js').ScrollPage;
export type QueryRequest = import('./qdrant-retriever-types.js').QueryRequest;
export type ScoredPoint = import('./qdrant-retriever-types.js').ScoredPoint;
export type PayloadSchemaType = import('./qdrant-retriever-types.js').PayloadSchemaType;
export type Snapshot = import('./qdrant-retriever-types.js').Snapshot;
export type ShardKey = import('./qdrant-retriever-types.js').ShardKey;
