// chat/web/web_listener.h: the web port, as the server's accept loop sees it.
//
// Defines:
//   WebListener - a ListenerOptions whose connections are WebSocketTransports over plain
//                 TCP or TLS, speaking JsonProtocol.

#ifndef CHAT_WEB_WEB_LISTENER_H_
#define CHAT_WEB_WEB_LISTENER_H_

#include <string>

#include "chat/server.h"
#include "chat/web/websocket_transport.h"

namespace chat {

// Its clients share everything with the net-cat port's (names, rooms, limits, the client
// limit, metrics). `make_inner` makes what HTTP and WebSocket run over: null for plain
// TCP (http://, ws://), a TLS transport's factory for https:// and wss://.
ListenerOptions WebListener(std::string address, int port, TransportFactory make_inner = nullptr,
                            WebSocketOptions options = {});

}  // namespace chat

#endif  // CHAT_WEB_WEB_LISTENER_H_
