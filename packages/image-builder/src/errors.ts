import { defineErrorCodes, FalcoAirgapError } from '@falco-airgap/core';

/** Stable codes of what the image builder refuses or fails at; engine and registry failures keep their own codes. */
const imageBuilderErrors = defineErrorCodes({
  input: {
    UnknownImage: 'IMAGE_UNKNOWN_IMAGE',
    BadTag: 'IMAGE_BAD_TAG',
    BadRegistry: 'IMAGE_BAD_REGISTRY',
    ContextMissing: 'IMAGE_CONTEXT_MISSING',
    ContextConflict: 'IMAGE_CONTEXT_CONFLICT',
    InputMissing: 'IMAGE_INPUT_MISSING',
    UnsafePath: 'IMAGE_UNSAFE_PATH',
    BaseUnavailable: 'IMAGE_BASE_UNAVAILABLE',
  },
  verification: {
    FileMismatch: 'IMAGE_FILE_MISMATCH',
  },
  operational: {
    ContextRead: 'IMAGE_CONTEXT_READ',
  },
});
export const ImageBuilderErrorCode = imageBuilderErrors.codes;
export type ImageBuilderErrorCode = (typeof ImageBuilderErrorCode)[keyof typeof ImageBuilderErrorCode];

/** The one error class of the image builder; hints name this library's options in backticks (`baseImage`), never CLI flags. */
export class ImageBuilderError extends FalcoAirgapError {
  override name = 'ImageBuilderError';
  declare readonly code: ImageBuilderErrorCode;

  constructor(code: ImageBuilderErrorCode, message: string, hint: string, cause?: unknown) {
    super(message, { code, category: imageBuilderErrors.categoryOf(code), hint, cause });
  }
}

export function isImageBuilderError(value: unknown, code?: ImageBuilderErrorCode): value is ImageBuilderError {
  return value instanceof ImageBuilderError && (code === undefined || value.code === code);
}
