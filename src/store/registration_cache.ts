/**
 * Client registrations (RFC 7591), kept per authorization server in
 * `registrations.json` in the configuration directory, so that every login
 * to one server uses the one client ID it registered. A registration is
 * not secret (a public client has no secret); it is kept until the server
 * forgets it.
 *
 * @module
 */

/** One kept registration. */
export interface KeptRegistration {
  clientId: string;
  /** When it was made (ms since the epoch). */
  registeredAt: number;
  redirectUris: string[];
  grantTypes: string[];
}

/** Where registrations are kept. */
export interface RegistrationCache {
  /** The registration kept for `issuer`, if any. */
  get(issuer: string): Promise<KeptRegistration | undefined>;
  /** Keeps `registration` for `issuer`, replacing any other. */
  set(issuer: string, registration: KeptRegistration): Promise<void>;
  /** Forgets the registration for `issuer` (the server no longer knows it). */
  delete(issuer: string): Promise<void>;
}

interface FileShape {
  version: 1;
  servers: Record<string, {
    client_id: string;
    registered_at: number;
    redirect_uris: string[];
    grant_types: string[];
  }>;
}

/** The registrations in `DIR/registrations.json` (0600, written atomically). */
export class FileRegistrationCache implements RegistrationCache {
  readonly #dir: string;
  readonly #path: string;

  constructor(configDir: string) {
    this.#dir = configDir;
    this.#path = `${configDir}/registrations.json`;
  }

  async get(issuer: string): Promise<KeptRegistration | undefined> {
    const entry = (await this.#read()).servers[issuer];
    if (!entry) return undefined;
    return {
      clientId: entry.client_id,
      registeredAt: entry.registered_at,
      redirectUris: entry.redirect_uris,
      grantTypes: entry.grant_types,
    };
  }

  async set(issuer: string, registration: KeptRegistration): Promise<void> {
    const data = await this.#read();
    data.servers[issuer] = {
      client_id: registration.clientId,
      registered_at: registration.registeredAt,
      redirect_uris: registration.redirectUris,
      grant_types: registration.grantTypes,
    };
    await this.#write(data);
  }

  async delete(issuer: string): Promise<void> {
    const data = await this.#read();
    if (!(issuer in data.servers)) return;
    delete data.servers[issuer];
    await this.#write(data);
  }

  /** The file's content; a missing or unreadable one is empty (a cache). */
  async #read(): Promise<FileShape> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await Deno.readTextFile(this.#path));
    } catch {
      return { version: 1, servers: {} };
    }
    const servers: FileShape["servers"] = {};
    const raw = (parsed as { servers?: unknown })?.servers;
    if (raw && typeof raw === "object") {
      for (const [issuer, e] of Object.entries(raw)) {
        const entry = e as Record<string, unknown>;
        const strings = (v: unknown) =>
          Array.isArray(v) && v.every((x) => typeof x === "string");
        if (
          typeof entry?.client_id === "string" && entry.client_id &&
          typeof entry.registered_at === "number" &&
          strings(entry.redirect_uris) && strings(entry.grant_types)
        ) {
          servers[issuer] = entry as FileShape["servers"][string];
        }
      }
    }
    return { version: 1, servers };
  }

  async #write(data: FileShape): Promise<void> {
    await Deno.mkdir(this.#dir, { recursive: true, mode: 0o700 });
    const tmp = `${this.#path}.${crypto.randomUUID()}.tmp`;
    try {
      await Deno.writeTextFile(tmp, JSON.stringify(data, null, 2) + "\n", {
        createNew: true,
        mode: 0o600,
      });
      await Deno.rename(tmp, this.#path);
    } catch (err) {
      await Deno.remove(tmp).catch(() => {});
      throw err;
    }
  }
}

/** Registrations kept in memory, for this process only. */
export class MemoryRegistrationCache implements RegistrationCache {
  readonly #entries = new Map<string, KeptRegistration>();

  get(issuer: string): Promise<KeptRegistration | undefined> {
    return Promise.resolve(this.#entries.get(issuer));
  }

  set(issuer: string, registration: KeptRegistration): Promise<void> {
    this.#entries.set(issuer, registration);
    return Promise.resolve();
  }

  delete(issuer: string): Promise<void> {
    this.#entries.delete(issuer);
    return Promise.resolve();
  }
}
