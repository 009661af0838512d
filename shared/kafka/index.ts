export * from './client.js';
export * from './topics.js';
