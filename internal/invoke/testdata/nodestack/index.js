'use strict'
// The module of the Node interop test (internal/invoke/nodeinterop_test.go),
// served by server.js: framework-1.0 categories (hooks, wrappers) and the
// same functions at the top level for framework 2.0.
// Start: PORT=0 SYSTEM_TOKEN=tok node index.js  (prints "READY port=N" on stderr)
const { start } = require('./server')

const hooks = {
  // pass-through
  preSavePage: (options, callback) => callback(null, { data: options.data, errors: options.errors, abort: false })
}

const wrappers = {
  ping: (options, callback) => callback(null, { statusCode: 200 }),
  failWithCode: (options, callback) => {
    const err = new Error('the ERP is down')
    err.code = 'erp_down'
    callback(err)
  },
  failPlain: (options, callback) => callback(new Error('plain failure'))
}

const diy = Object.assign({ hooks, wrappers }, hooks, wrappers)

const port = parseInt(process.env.PORT || '0', 10)
start({ port, systemToken: process.env.SYSTEM_TOKEN || 'tok', diy }, (err, server) => {
  if (err) { console.error('start failed:', err); process.exit(1) }
  console.error('READY port=' + server.address().port)
})
process.on('SIGTERM', () => process.exit(0))
process.on('SIGINT', () => process.exit(0))
