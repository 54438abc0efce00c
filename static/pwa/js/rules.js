// Checklist rules on the phone: which answers fail, the findings they imply, and the
// hazard id of each, computed offline exactly as the server does (forms/rules.py).
//
// The rules themselves are data: the `fail` of each item in the served checklist
// (GET /api/v1/checklists/<code>/<version>). This module only knows the four rule forms.
// tests/forms/test_js_agreement.py runs it under node against the Python side.
//
// Semantics, kept type-strict so both sides agree on any input:
// - a null or missing value never fails;
// - equals / in compare booleans with booleans, numbers with numbers, strings with strings;
// - below / above compare finite numbers only, strictly.

import { v5 as uuidv5, validate as isUuid } from "../vendor/uuid.js";

export const HAZARD_NAMESPACE = "6f1c3c52-5a4e-4f4e-9a38-7d0c2b1e8a11";

const isNumber = (value) => typeof value === "number" && Number.isFinite(value);

function same(a, b) {
  if (typeof a === "boolean" || typeof b === "boolean") return a === b;
  if (isNumber(a) && isNumber(b)) return a === b;
  return typeof a === "string" && typeof b === "string" && a === b;
}

/** Whether a value matches a served rule: {equals}, {in}, {below} or {above}. */
export function ruleMatches(rule, value) {
  if (value === null || value === undefined || !rule) return false;
  if ("equals" in rule) return same(value, rule.equals);
  if ("in" in rule) return rule.in.some((candidate) => same(value, candidate));
  if (!isNumber(value)) return false;
  if ("below" in rule) return value < rule.below;
  if ("above" in rule) return value > rule.above;
  return false;
}

/** Whether this answer value is a failure of the served item. */
export function fails(item, value) {
  return item.fail ? ruleMatches(item.fail, value) : false;
}

/** uuid5(NAMESPACE, "<inspection id>:<item code>"), the contract's derived hazard id. */
export function hazardId(inspectionId, itemCode) {
  if (typeof inspectionId !== "string" || !isUuid(inspectionId)) {
    throw new TypeError(`not a UUID: ${inspectionId}`);
  }
  return uuidv5(`${inspectionId.toLowerCase()}:${itemCode}`, HAZARD_NAMESPACE);
}

function firstAnswers(definition, answers) {
  const codes = new Set(definition.items.map((item) => item.code));
  const first = new Map();
  if (!Array.isArray(answers)) return first;
  for (const answer of answers) {
    if (answer === null || typeof answer !== "object" || Array.isArray(answer)) continue;
    const code = answer.item;
    if (typeof code === "string" && codes.has(code) && !first.has(code)) first.set(code, answer);
  }
  return first;
}

/**
 * One finding per failed item, in the checklist's item order. Malformed answers produce
 * no finding; with an inspection id each finding carries its hazard id.
 */
export function findings(definition, answers, inspectionId = null) {
  const first = firstAnswers(definition, answers);
  const out = [];
  for (const item of definition.items) {
    const answer = first.get(item.code);
    if (!answer || !fails(item, answer.value)) continue;
    out.push({
      hazard_id: inspectionId === null ? null : hazardId(inspectionId, item.code),
      item: item.code,
      sector: definition.sector,
      severity: item.severity,
      standard: item.standard ?? null,
      deadline_days: item.deadline_days,
      photos: Array.isArray(answer.photos) ? [...answer.photos] : [],
      note: typeof answer.note === "string" ? answer.note : null,
    });
  }
  return out;
}
