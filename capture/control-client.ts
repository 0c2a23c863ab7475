/**
 * The client side of the capture appliance's control API (capture/control-api.ts), for the system's health check,
 * the worker's activities and the tests. Every failure is a CaptureControlError with the appliance's stable code,
 * or `UNAVAILABLE` when it cannot be reached: callers retry those, and never report a change they did not see.
 */
import type { RecordingMode } from '../infra/db/entities';
import type { ControlErrorCode, ExtensionModeView, RecordButtonResult } from './control-api';

const EXPORT_TIMEOUT_MS = 120_000;

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
  readonly token: string;
  readonly timeoutMs?: number;
}

export class CaptureControlClient {
  constructor(private readonly options: CaptureControlClientOptions) {}

  health(): Promise<Record<string, unknown>> {
    return this.request('GET', '/health');
  }

  extensionMode(number: string): Promise<ExtensionModeView> {
    return this.request('GET', `/extensions/${encodeURIComponent(number)}`);
  }

  setExtensionMode(number: string, change: { mode: RecordingMode; actor: string; reason: string }): Promise<ExtensionModeView> {
    return this.request('PUT', `/extensions/${encodeURIComponent(number)}/mode`, change);
  }

  /** `notice`: with a start, the evidence that the other party was told (`announcement:played@…`, `verbal:official`). */
  recordButton(
    callId: string,
    action: 'start' | 'stop',
    press: { at?: Date; notice?: string } = {},
  ): Promise<{ callId: string; result: RecordButtonResult }> {
    return this.request('POST', `/calls/${encodeURIComponent(callId)}/record-button`, {
      action,
      ...(press.at ? { at: press.at.toISOString() } : {}),
      ...(press.notice === undefined ? {} : { notice: press.notice }),
    });
  }

  destroyRecording(recordingId: string): Promise<{ recordingId: string; storageKey: string }> {
    return this.request('DELETE', `/recordings/${encodeURIComponent(recordingId)}`);
  }

  /** The party's own export (R5): the AES-256 encrypted ZIP the appliance sealed under `password`. */
  async exportRecording(recordingId: string, password: string): Promise<Buffer> {
    // Decrypting, converting and sealing a long call takes longer than a control request.
    const response = await this.send('POST', `/recordings/${encodeURIComponent(recordingId)}/export`, { password }, EXPORT_TIMEOUT_MS);
    if (response.headers.get('content-type') !== 'application/zip') {
      await response.body?.cancel();
      throw new CaptureControlError('INTERNAL', '녹취 장치가 암호 ZIP이 아닌 것을 보냈습니다.', response.status);
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
  private async send(method: string, path: string, body: unknown, timeoutMs: number): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${this.options.baseUrl}${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.options.token}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
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
