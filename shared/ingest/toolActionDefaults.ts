/**
 * The built-in tool -> action mapping: rules/tool-actions.yaml as data, so a service works with no file.
 * A unit test (test/unit/ingest/toolActions.test.ts) keeps the two equal.
 */
import type { ToolActionsInput } from './toolActions.js';

export const DEFAULT_TOOL_ACTIONS: ToolActionsInput = {
  version: 1,
  tools: [
    {
      action: 'payment.transfer',
      description: 'Money leaves an account.',
      names: ['transfer_funds', 'send_payment', 'make_payment', 'create_payment', 'create_payout', 'wire_transfer', 'pay_invoice', 'refund_payment'],
      patterns: ['*_transfer_funds', '*_create_payout', '*_send_payment'],
    },
    {
      action: 'email.send',
      description: 'A message leaves for a recipient outside the agent.',
      names: ['send_email', 'send_mail', 'email_send', 'reply_email', 'forward_email', 'gmail_send_message', 'outlook_send_mail', 'send_message'],
      patterns: ['*_send_email', '*_send_mail'],
    },
    {
      action: 'file.delete',
      description: 'Data is destroyed.',
      names: ['delete_file', 'remove_file', 'delete_files', 'delete_record', 'drop_table', 'purge_records'],
      patterns: ['delete_*', '*_delete'],
    },
    {
      action: 'permission.change',
      description: 'Who may do what changes.',
      names: ['grant_role', 'revoke_role', 'set_permissions', 'update_iam_policy', 'add_user_to_group', 'create_api_key', 'share_file'],
      patterns: ['*_grant_*', '*_permission*'],
    },
    {
      action: 'net.egress',
      description: 'A request to an arbitrary outside address.',
      names: ['http_request', 'fetch_url', 'fetch', 'web_fetch', 'browse', 'open_url', 'curl', 'download_file', 'upload_file'],
    },
    {
      action: 'data.write',
      description: 'Records or files are written.',
      names: ['write_file', 'update_record', 'insert_record', 'create_record', 'update_customer', 'create_ticket', 'update_ticket'],
      patterns: ['update_*', 'insert_*', 'write_*'],
    },
    {
      action: 'data.read',
      description: 'Records or files are read.',
      names: ['read_file', 'query_database', 'sql_query', 'run_query', 'search_records', 'get_customer', 'lookup_customer', 'search_documents', 'retrieve', 'vector_search', 'web_search'],
      patterns: ['get_*', 'read_*', 'search_*', 'lookup_*', 'list_*', 'query_*'],
    },
    {
      action: 'auth.login',
      description: 'The agent signs in somewhere.',
      names: ['login', 'sign_in', 'authenticate', 'get_access_token'],
    },
  ],
};
