import { PROVIDERS } from '../providers/registry.js';
import { configSchemas } from './schema.js';
import { zod } from './zod.js';

/**
 * The JSON Schema of driftwarden.yaml, generated from the zod schema (the single source) with one
 * target shape per registered provider. `npm run schema` writes it; a test keeps the file in sync.
 */
export function configJsonSchema(): Record<string, unknown> {
  const z = zod();
  const { configSchema, targetBaseShape } = configSchemas(z);
  const targets = Object.values(PROVIDERS).map((p) => z.object({ ...targetBaseShape, provider: z.literal(p.kind), ...p.options(z) }).strict());
  const [first, ...rest] = targets;
  const target = rest.length === 0 ? first! : z.union([first!, ...rest]);
  const full = configSchema.extend({ targets: z.array(target).min(1) });
  return {
    ...z.toJSONSchema(full, { io: 'input', unrepresentable: 'any' }),
    title: 'driftwarden configuration',
  };
}

/** Prints the schema (used by `npm run schema`). */
if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
}
