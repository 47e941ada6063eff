// Starts Bluesky's reference network on loopback: PLC directory, PDS, AppView and Ozone.
// Ports come from the environment so parallel runs do not collide; prints READY with the URLs.
const { TestNetwork } = require('@atproto/dev-env')
const { mockMailer } = require('@atproto/dev-env/dist/util')

const port = (name, fallback) => Number(process.env[name] || fallback)

TestNetwork.create({
  pds: { port: port('PDS_PORT', 2583), hostname: 'localhost' },
  plc: { port: port('PLC_PORT', 2582) },
  bsky: { dbPostgresSchema: process.env.BSKY_SCHEMA || 'bsky', port: port('BSKY_PORT', 2584), publicUrl: `http://localhost:${port('BSKY_PORT', 2584)}` },
  ozone: { port: port('OZONE_PORT', 2587), chatUrl: 'http://localhost:2590', chatDid: 'did:example:chat' },
}).then((net) => {
  mockMailer(net.pds)
  // One line per sign-in and per refresh, so tests and benchmarks can count what Kalrav spends
  // of bsky.social's tightest limit (createSession: 30 in 5 minutes, 300 a day per account).
  net.pds.server.server.on('request', (req) => {
    const path = (req.url || '').split('?')[0]
    if (path === '/xrpc/com.atproto.server.createSession' || path === '/xrpc/com.atproto.server.refreshSession') {
      console.log(`SESSION ${path.slice('/xrpc/'.length)}`)
    }
  })
  console.log(`READY pds=${net.pds.url} appview=${net.bsky.url} plc=${net.plc.url}`)
  const stop = () => net.close().then(() => process.exit(0), () => process.exit(1))
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}).catch((error) => { console.error(error); process.exit(1) })
