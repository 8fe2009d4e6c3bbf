// Evidence and archives on the configuration API (docs/protocols/evidence.md §2–§3): the evidence
// file of one exchange, and archiving on demand. Registered after registerSsAdminRoutes, whose
// Bearer-key hook guards every /api/ route.
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError, type App } from '@jplink/kit';
import { SS_ADMIN_ERRORS } from '../errors.ts';
import type { Archiver } from '../messagelog/archiver.ts';
import type { SsAuditor } from '../audit.ts';

const security = [{ bearerAuth: [] }];
const ACTOR = 'admin:api-key';

const evidenceQuery = z
  .object({
    messageId: z.uuid().optional().describe('X-Road-Request-Id of the exchange'),
    xRoadId: z.string().min(1).max(256).optional().describe('X-Road-Id: every exchange that carried it'),
  })
  .refine((q) => (q.messageId === undefined) !== (q.xRoadId === undefined), { message: 'give exactly one of messageId and xRoadId' });

const archiveRunView = z.object({
  files: z.array(z.object({ fileName: z.string(), group: z.string(), sequence: z.int(), records: z.int(), sha256: z.string() })),
  deleted: z.int(),
});

export function registerEvidenceRoutes(app: App, deps: { archiver: Archiver; audit: SsAuditor }) {
  const { archiver, audit } = deps;

  app.get(
    '/api/v1/evidence',
    {
      schema: {
        security,
        description: 'The evidence file (zip, jplink-evidence/1) of one exchange or of every exchange with an X-Road-Id: records, signatures, timestamp tokens and proofs, certificates and OCSP responses. Check it with `jplink verify`.',
        querystring: evidenceQuery,
        response: { 200: z.any().describe('application/zip') },
      },
    },
    async (request, reply) => {
      const query = request.query.messageId ? { messageId: request.query.messageId } : { xRoadId: request.query.xRoadId! };
      const dir = await mkdtemp(join(tmpdir(), 'jplink-evidence-'));
      const removeDir = () => rm(dir, { recursive: true, force: true });
      try {
        const path = join(dir, 'evidence.zip');
        const written = await archiver.exportEvidence(query, path);
        if (!written) throw new AppError(SS_ADMIN_ERRORS.SS_EVIDENCE_NOT_FOUND);
        await audit({ actor: ACTOR, action: 'evidence.exported', target: 'messageId' in query ? query.messageId : query.xRoadId, details: { records: written.records, sha256: written.sha256 } });
        // Streamed from the file (an X-Road-Id can name many exchanges); the folder goes when the stream closes.
        const file = createReadStream(path);
        file.once('close', () => void removeDir());
        const name = 'messageId' in query ? query.messageId : 'x-road-id';
        return reply
          .header('content-type', 'application/zip')
          .header('content-disposition', `attachment; filename="evidence-${name}.zip"`)
          .send(file);
      } catch (error) {
        await removeDir();
        throw error;
      }
    },
  );

  app.post(
    '/api/v1/message-log/archive',
    { schema: { security, description: 'Archives every timestamped record not yet archived now (normally done at SS_ARCHIVE_INTERVAL_SECONDS), then applies the retention.', response: { 200: archiveRunView } } },
    async () => {
      const run = await archiver.archiveNow();
      await audit({ actor: ACTOR, action: 'message-log.archived', details: { files: run.files.map((f) => f.fileName), deleted: run.deleted } });
      return run;
    },
  );
}
