// Checklist rules on the phone: which answers fail, the findings they imply (with the
// hazard description the register will hold), the combined judgement (综合判定) and the
// hazard id of each, computed offline exactly as the server does (forms/rules.py,
// forms/describe.py, forms/combined.py).
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
import { TERMS } from "./vocabulary.js";

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

// unit code → Chinese; counted units read "不少于", measured ones "不小于" (forms/describe.py).
// The units' Chinese names are the vocabulary's (server/vocabulary.py).
export const UNIT_ZH = Object.fromEntries(Object.entries(TERMS.zh)
  .filter(([key]) => key.startsWith("unit.")).map(([key, zh]) => [key.slice(5), zh]));
const COUNTED = new Set(["pcs", "persons", "storeys", "sets", "cylinders"]);

function quantity(value, unit) {
  const zh = UNIT_ZH[unit] ?? "";
  return zh === "%" ? `${String(value)}%` : `${String(value)} ${zh}`.trimEnd();
}

function requirement(item) {
  const rule = item.fail;
  if (!rule) return null;
  if (item.kind === "choice") {
    const bad = new Set("in" in rule ? rule.in : [rule.equals]);
    return "应为" + (item.choices || []).filter((c) => !bad.has(c.key)).map((c) => `“${c.text.zh}”`).join("或");
  }
  if (item.kind !== "number") return null;
  if ("below" in rule) return `应${COUNTED.has(item.unit) ? "不少于" : "不小于"} ${quantity(rule.below, item.unit)}`;
  if ("above" in rule) {
    return rule.above === 0 ? `应为 ${quantity(0, item.unit)}` : `应不超过 ${quantity(rule.above, item.unit)}`;
  }
  const values = "in" in rule ? rule.in : [rule.equals];
  return "不应为 " + values.map((v) => quantity(v, item.unit)).join("、");
}

/** The description of the hazard a failed answer implies (隐患描述), as the register keeps it. */
export function describe(item, value) {
  const statement = (item.hazard_text || item.text).zh;
  let seen = null;
  if (item.kind === "number") seen = `现场 ${quantity(value, item.unit)}`;
  else if (item.kind === "choice") {
    seen = `现场为“${(item.choices || []).find((c) => c.key === value)?.text.zh ?? String(value)}”`;
  }
  if (seen === null) return statement;
  const required = requirement(item);
  return required ? `${statement}：${seen}，${required}` : `${statement}：${seen}`;
}

/** "pass" or "fail" for a yes/no answer of the item (合格 / 不合格), null if it never fails. */
export function verdict(item, value) {
  if (!item.fail || value === null || value === undefined) return null;
  return fails(item, value) ? "fail" : "pass";
}

/**
 * Whether a failure is a gas company's major-hazard clue (燃气企业重大隐患线索, 待认定):
 * always for some items; for Art 9 items only when the company's own safety check found
 * it and it gave no written notice (the checklist's supplier_check facts).
 */
function supplierClue(definition, first, item) {
  if (item.supplier_clue !== "checked") return item.supplier_clue === "always";
  const check = definition.supplier_check;
  return first.get(check.found)?.value === true && first.get(check.notified)?.value === false;
}

/**
 * The combined judgement of failed items `failed` (a Set of codes) at a site of `siteKind`:
 * the first served combined rule that applies and is met, with its failed elements in
 * item order. With no site kind, every met rule (forms/combined.py, met).
 */
export function combined(definition, failed, siteKind = null) {
  const out = [];
  const order = new Map(definition.items.map((item, index) => [item.code, index]));
  for (const rule of definition.combined_rules || []) {
    if (siteKind !== null && !rule.applies_to.includes(siteKind)) continue;
    const elements = rule.elements.filter((code) => failed.has(code))
      .sort((a, b) => order.get(a) - order.get(b));
    if (elements.length >= rule.min_failed) {
      out.push({ rule, elements });
      if (siteKind !== null) break;
    }
  }
  return out;
}

/**
 * One finding per failed item, in the checklist's item order, then the combined
 * judgement they make at a site of `siteKind`. Malformed answers produce no finding;
 * with an inspection id each finding carries its hazard id.
 */
export function findings(definition, answers, inspectionId = null, siteKind = null) {
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
      description: describe(item, answer.value),
      elements: [],
      supplier_clue: supplierClue(definition, first, item),
    });
  }
  const byCode = new Map(definition.items.map((item) => [item.code, item]));
  for (const { rule, elements } of combined(definition, new Set(out.map((f) => f.item)), siteKind)) {
    const photos = [];
    for (const f of out) {
      if (!rule.elements.includes(f.item)) continue;
      for (const p of f.photos) if (typeof p === "string" && !photos.includes(p)) photos.push(p);
    }
    const named = elements.map((code) => (byCode.get(code).hazard_text || byCode.get(code).text).zh).join("；");
    out.push({
      hazard_id: inspectionId === null ? null : hazardId(inspectionId, rule.id),
      item: rule.id,
      sector: definition.sector,
      severity: rule.severity,
      standard: rule.standard,
      deadline_days: rule.deadline_days,
      photos,
      note: null,
      description: `${rule.hazard_text.zh}（${elements.length} 项）：${named}`,
      elements,
      supplier_clue: false,
    });
  }
  return out;
}
