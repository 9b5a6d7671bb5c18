/**
 * Where the project lives publicly. No public repository is known yet: this
 * is a placeholder, kept in step with package.json's `repository`,
 * `homepage` and `bugs` by test/packaging.test.ts. SARIF rule links
 * (`helpUri`) are built from it.
 */
import { VERSION } from './version';

export const REPOSITORY_URL = 'https://github.com/romscope/romscope';

/** The rule doc pages of this version on the repository (`<base><area>/<name>.md`). */
export const RULE_DOCS_BASE_URI = `${REPOSITORY_URL}/blob/v${VERSION}/docs/rules/`;
