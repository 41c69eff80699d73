/** The committed alert rules and their promtool tests, parsed. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ALERTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'alerts');
export const RULES_FILE = join(ALERTS_DIR, 'pmip.rules.yml');
export const RULES_TEST_FILE = join(ALERTS_DIR, 'pmip.rules.test.yml');

export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleFile {
  groups: Array<{ name: string; interval?: string; rules: Rule[] }>;
}

export interface RuleTestFile {
  rule_files: string[];
  tests: Array<{
    alert_rule_test?: Array<{ eval_time: string; alertname: string; exp_alerts: unknown[] }>;
    promql_expr_test?: Array<{ expr: string; eval_time: string }>;
  }>;
}

export function readRules(): RuleFile {
  return parse(readFileSync(RULES_FILE, 'utf8')) as RuleFile;
}

export function readRuleTests(): RuleTestFile {
  return parse(readFileSync(RULES_TEST_FILE, 'utf8')) as RuleTestFile;
}

export function alertsOf(file: RuleFile): Array<Rule & { alert: string }> {
  return file.groups
    .flatMap((g) => g.rules)
    .filter((r): r is Rule & { alert: string } => r.alert !== undefined);
}
