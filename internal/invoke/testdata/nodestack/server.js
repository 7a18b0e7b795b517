'use strict'
// Copied from the project's spec material (shared/bench/node-stack/server.js), unchanged below
// this header: the HTTP layer of a Node server stack on Celigo's integrator-extension core.
// HTTP layer of a Node server stack, rebuilt from PROTOCOL.md section 3 on top of Celigo's
// `integrator-extension` core (the published express wrapper is not on this npm registry).
// Same stack of middleware as the original: JSON body parser (50 MB), a winston request
// logger, then the routes; dispatch, validation and result checks are Celigo's own code.
const express = require('express')
const bodyParser = require('body-parser')
const winston = require('winston')
const expressWinston = require('express-winston')
const { customAlphabet } = require('nanoid')
const Extension = require('integrator-extension')

const reqId = customAlphabet('0123456789abcdefghijklmnopqrstuvwxyz', 4)

function tokenOf (req) {
  const auth = req.headers.authorization
  if (auth) {
    const parts = auth.split(' ')
    return parts.length === 2 && /^Bearer$/i.test(parts[0]) ? parts[1] : undefined
  }
  return (req.body && req.body.access_token) || (req.query && req.query.access_token)
}

function start (config, onReady) {
  const extension = new Extension()
  extension.loadConfiguration(config, function (err) {
    if (err) return onReady(err)
    const app = express()
    app.use(bodyParser.json({ limit: '50mb' }))
    app.use(expressWinston.logger({
      winstonInstance: winston,
      meta: false,
      ignoreRoute: (req) => req.path === '/livez' || req.path === '/readyz',
      msg: 'logName=reqFinished, method={{req.method}}, url={{req.url}}, statusCode={{res.statusCode}}, responseTime={{res.responseTime}}ms, traceId={{req.body.traceId}}'
    }))
    const ok = (req, res) => res.json({ success: true })
    app.get('/', ok)
    app.get('/healthCheck', ok)
    app.get('/livez', (req, res) => res.sendStatus(200))
    app.get('/readyz', (req, res) => res.sendStatus(200))
    app.post('/function', function (req, res) {
      if (tokenOf(req) !== config.systemToken) {
        res.set('WWW-Authenticate', 'invalid system token')
        return res.status(401).json({ errors: [{ code: 'unauthorized', message: 'Invalid system token.' }] })
      }
      req.body.traceId = req.headers.traceid
      req.body._reqId = Date.now() + reqId()
      extension.callFunction(req.body.options, req.body, function (err, result) {
        if (err) return res.status(err.statusCode).json({ errors: err.errors })
        return res.json(result)
      })
    })
    const server = app.listen(config.port, () => onReady(null, server))
    server.keepAliveTimeout = 301000
    server.headersTimeout = 305000
    server.timeout = 315000
  })
}

module.exports = { start }
