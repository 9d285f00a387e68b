// Paths are shared with the other falco-airgap formats; kept here so existing imports stay as they are.
export { formatPath, parsePath, pointerSegments, type PathSegment } from '@falco-airgap/core';
