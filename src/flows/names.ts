/**
 * The names `--flow` accepts (declared with the settings, which check them).
 *
 * @module
 */

export { FLOW_NAMES, type FlowName } from "../config/modes.ts";
