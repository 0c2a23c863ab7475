/**
 * The client side of the capture appliance's control API (capture/control-api.ts), for the API, the worker's
 * activities, the PBX integration (the call generator) and the tests: one client, one token, one scope — a route
 * outside the token's scope is refused CLIENT_NOT_ALLOWED. Every failure is a CaptureControlError with the appliance's stable code,
 * or `UNAVAILABLE` when it cannot be reached: callers retry those, and never report a change they did not see.
 */
import { createHash } from 'node:crypto';
import type {
  ControlErrorCode,
  ExtensionModeView,
  InventoryCounts,
  InventoryFinding,
  InventoryReport,
  InventoryRequest,
  ModeChange,
  RecordButtonResult,
  ViewingAudio,
  ViewingAudioRequest,
} from './control-contract';

/** One recording decrypted and converted (and, for the party export, sealed): longer than a control request. */
const EXPORT_TIMEOUT_MS = 120_000;
/** Up to 50 recordings decrypted, converted and sealed one after the other. */
const PACKAGE_TIMEOUT_MS = 15 * 60_000;
/**
 * One part of the inventory: its time budget (at most 3 minutes) and the batch under way when it ran out, inside the
 * five minutes fetch waits for an answer's headers.
 */
const INVENTORY_TIMEOUT_MS = 280_000;

export interface DisclosurePackageOrder {
  /** 관리번호 `YYYY-NNNN`. */
  managementNumber: string;
  /** 1–50 recordings, each once; the WAVs are in this order. */
  recordingIds: readonly string[];
  /** 8–128 printable ASCII characters; never stored or logged. */
  password: string;
  /** Who it is built for (a user name): the appliance's audit entries keep it beside the client that asked. */
  onBehalfOf: string;
  /** Up to 5 files of at most 2 MiB each, e.g. the blank Form 3; a name is a file name, not a path. */
  extraFiles?: readonly { name: string; content: Buffer }[];
}

export interface SealedDisclosurePackage {
  zip: Buffer;
  /** SHA-256 of the ZIP as handed over: what the case records (DisclosureRequest.packageSha256). */
  packageSha256: string;
  /** SHA-256 of the signed manifest.json inside. */
  manifestSha256: string;
}

export class CaptureControlError extends Error {
  constructor(
    readonly code: ControlErrorCode | 'UNAVAILABLE',
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CaptureControlError';
  }
}

export interface CaptureControlClientOptions {
  /** `http://127.0.0.1:<CAPTURE_CONTROL_PORT>` */
  readonly baseUrl: string;
  /** This client's own token (CAPTURE_CONTROL_API/WORKER/PBX_TOKEN_FILE): its scope is what the appliance allows it. */
  readonly token: string;
  readonly timeoutMs?: number;
}

export class CaptureControlClient {
  constructor(private readonly options: CaptureControlClientOptions) {}

  health(): Promise<Record<string, unknown>> {
    return this.request('GET', '/health');
  }

  /** The public key provision packages are signed with (PEM), and its fingerprint. */
  packagePublicKey(): Promise<{ pem: string; sha256: string }> {
    return this.request('GET', '/package-public-key');
  }

  extensionMode(number: string): Promise<ExtensionModeView> {
    return this.request('GET', `/extensions/${encodeURIComponent(number)}`);
  }

  setExtensionMode(number: string, change: ModeChange): Promise<ExtensionModeView> {
    return this.request('PUT', `/extensions/${encodeURIComponent(number)}/mode`, change);
  }

  /** `notice`: with a start, the evidence that the other party was told (`announcement:played@…`, `verbal:official`). */
  recordButton(callId: string, action: 'start' | 'stop', press: { at?: Date; notice?: string } = {}): Promise<{ callId: string; result: RecordButtonResult }> {
    return this.request('POST', `/calls/${encodeURIComponent(callId)}/record-button`, {
      action,
      ...(press.at ? { at: press.at.toISOString() } : {}),
      ...(press.notice === undefined ? {} : { notice: press.notice }),
    });
  }

  destroyRecording(recordingId: string): Promise<{ recordingId: string; storageKey: string }> {
    return this.request('DELETE', `/recordings/${encodeURIComponent(recordingId)}`);
  }

  /**
   * One part of the retention inventory of the appliance's store (issue 19, the worker's token): every file compared
   * with the database, the audio past its due time plus the grace hour and not under a valid hold reported. Ask again
   * with `after: report.next` until `next` is null (inventoryAll does).
   */
  async inventory(request: InventoryRequest = {}): Promise<InventoryReport> {
    const body = { ...request, ...(request.asOf ? { asOf: request.asOf.toISOString() } : {}) };
    const response = await this.send('POST', '/inventory', body, INVENTORY_TIMEOUT_MS);
    return (await response.json()) as InventoryReport;
  }

  /**
   * The whole walk, part after part: counts summed, findings listed up to `maxFindings` (all counted). `onPart` sees each
   * part as it comes (a workflow activity heartbeats there, with `next` as its progress).
   */
  async inventoryAll(request: Omit<InventoryRequest, 'after'> = {}, onPart?: (part: InventoryReport) => void | Promise<void>): Promise<InventoryReport> {
    const asOf = request.asOf ?? new Date();
    const counts: Partial<InventoryCounts> = {};
    const findings: InventoryFinding[] = [];
    const limit = request.maxFindings ?? Number.POSITIVE_INFINITY;
    let after: string | undefined;
    let first: InventoryReport | undefined;
    for (;;) {
      const part = await this.inventory({ ...request, asOf, after, maxFindings: request.maxFindings });
      first ??= part;
      await onPart?.(part);
      for (const [key, value] of Object.entries(part.counts) as [keyof InventoryCounts, number][]) counts[key] = (counts[key] ?? 0) + value;
      findings.push(...part.findings.slice(0, Math.max(0, limit - findings.length)));
      if (part.next === null) break;
      after = part.next;
    }
    const total = counts as InventoryCounts;
    return { asOf: first.asOf, graceMs: first.graceMs, from: null, next: null, counts: total, findings, findingsTruncated: total.findings > findings.length };
  }

  /**
   * The party's own export (R5): the AES-256 encrypted ZIP the appliance sealed under `password`. `grant`: a single-use
   * 'party-export' grant for this recording (infra/grants.ts), as for every release below.
   */
  async exportRecording(recordingId: string, password: string, grant: string): Promise<Buffer> {
    return this.zipOf(await this.send('POST', `/recordings/${encodeURIComponent(recordingId)}/export`, { password }, EXPORT_TIMEOUT_MS, grant));
  }

  /**
   * The recording for Art. 9 viewing (열람): a 16-bit PCM stereo 8 kHz WAV, unsealed so that a browser can play it,
   * and the stored audio's SHA-256 (compare it with the recording row's). The appliance audits the release
   * (`recording.viewing_audio_released`) before answering. Whether this play is allowed is the caller's to decide
   * first, and to say in a 'viewing' grant for the case's recordings and 관리번호 (valid while its window is open);
   * pass the WAV on with `Cache-Control: no-store` and `Content-Disposition: inline`, and wipe it afterwards.
   */
  async viewingAudio(recordingId: string, request: ViewingAudioRequest, grant: string): Promise<ViewingAudio> {
    const body = { managementNumber: request.managementNumber, onBehalfOf: request.onBehalfOf };
    const response = await this.send('POST', `/recordings/${encodeURIComponent(recordingId)}/viewing`, body, EXPORT_TIMEOUT_MS, grant);
    const sha256 = response.headers.get('x-stored-audio-sha256') ?? '';
    // Audio that cannot be tied to the recording's hash is not worth receiving.
    if (!/^[0-9a-f]{64}$/.test(sha256)) {
      await response.body?.cancel();
      throw new CaptureControlError('INTERNAL', '녹취 장치가 열람용 음성의 해시를 알려 주지 않았습니다.', response.status);
    }
    return { wav: await this.fileOf(response, 'audio/wav', '녹취 장치가 열람용 WAV가 아닌 것을 보냈습니다.'), sha256 };
  }

  /**
   * The Art. 9 provision package (capture/disclosure-package.ts): the recordings as WAVs with the signed manifest,
   * sealed under `password`, against a single-use 'provision' grant for the case. The returned hashes are checked
   * against the bytes received.
   */
  async buildDisclosurePackage(order: DisclosurePackageOrder, grant: string): Promise<SealedDisclosurePackage> {
    const body = {
      managementNumber: order.managementNumber,
      recordingIds: order.recordingIds,
      password: order.password,
      onBehalfOf: order.onBehalfOf,
      extraFiles: (order.extraFiles ?? []).map((file) => ({ name: file.name, contentBase64: file.content.toString('base64') })),
    };
    const response = await this.send('POST', '/disclosure-packages', body, PACKAGE_TIMEOUT_MS, grant);
    const packageSha256 = response.headers.get('x-package-sha256') ?? '';
    const manifestSha256 = response.headers.get('x-manifest-sha256') ?? '';
    const zip = await this.zipOf(response);
    // A package recorded under a hash it does not have would be the wrong evidence for the case.
    if (createHash('sha256').update(zip).digest('hex') !== packageSha256 || !/^[0-9a-f]{64}$/.test(manifestSha256)) {
      throw new CaptureControlError('UNAVAILABLE', '녹취 장치에서 받은 제공 패키지가 알려 준 해시와 다릅니다 (전송 중 손상).');
    }
    return { zip, packageSha256, manifestSha256 };
  }

  private zipOf(response: Response): Promise<Buffer> {
    return this.fileOf(response, 'application/zip', '녹취 장치가 암호 ZIP이 아닌 것을 보냈습니다.');
  }

  /** The body of a file answer, refused unread unless it is of the one type the request asked for. */
  private async fileOf(response: Response, type: string, wrongType: string): Promise<Buffer> {
    if (response.headers.get('content-type') !== type) {
      await response.body?.cancel();
      throw new CaptureControlError('INTERNAL', wrongType, response.status);
    }
    try {
      return Buffer.from(await response.arrayBuffer());
    } catch (error) {
      throw new CaptureControlError('UNAVAILABLE', `녹취 장치와의 연결이 끊겼습니다: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.send(method, path, body, this.options.timeoutMs ?? 5000);
    return (await response.json().catch(() => undefined)) as T;
  }

  /** Sends one request; a refusal becomes a CaptureControlError with the appliance's code. */
  private async send(method: string, path: string, body: unknown, timeoutMs: number, grant?: string): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.options.baseUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.options.token}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...(grant === undefined ? {} : { 'X-Grant': grant }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new CaptureControlError('UNAVAILABLE', `녹취 장치에 연결할 수 없습니다: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!response.ok) {
      const json = (await response.json().catch(() => undefined)) as { error?: { code: ControlErrorCode; message: string } } | undefined;
      throw new CaptureControlError(json?.error?.code ?? 'INTERNAL', json?.error?.message ?? `녹취 장치가 ${response.status}로 답했습니다.`, response.status);
    }
    return response;
  }
}
