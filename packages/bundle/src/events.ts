import type { PushReport } from '@falco-airgap/oci';

/** What creating, verifying and loading a bundle report as they go; the caller decides how to show it. */
export type BundleEvent =
  | {
      type: 'pull';
      name: string;
      reference: string;
      status: 'running' | 'done';
      digest?: string | undefined;
      blobs?: number | undefined;
      bytes?: number | undefined;
    }
  | { type: 'write'; status: 'running' | 'done'; written: number; total: number; parts?: string[] | undefined }
  | {
      type: 'verify';
      phase: 'signature' | 'files' | 'layout';
      status: 'running' | 'done';
      /** Bytes hashed so far and in all (files phase). */
      checked?: number | undefined;
      total?: number | undefined;
      detail?: string | undefined;
    }
  | { type: 'push'; name: string; repository: string; status: 'running' | 'done'; report?: PushReport | undefined }
  /** Bytes that just crossed the network (downloaded by create, read for upload by push), as they go. */
  | { type: 'transfer'; direction: 'download' | 'upload'; bytes: number };

export type BundleEventHandler = (event: BundleEvent) => void;
