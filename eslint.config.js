// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.warden/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // kafkajs stays behind shared/kafka so it can be swapped (it is in maintenance mode).
      'no-restricted-imports': ['error', { paths: [{ name: 'kafkajs', message: 'Import from shared/kafka instead.' }] }],
    },
  },
  { files: ['shared/kafka/**', 'bench/**'], rules: { 'no-restricted-imports': 'off' } },
  // Tests pick fields out of parsed JSON (OCSF, ECS, HEC bodies) whose shape is what they assert.
  { files: ['test/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
);
