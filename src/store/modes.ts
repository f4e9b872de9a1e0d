/**
 * The storage modes (declared with the settings, which check them).
 *
 * @module
 */

export { STORAGE_MODES, type StorageMode } from "../config/modes.ts";
