package gateway_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/appconnector/appconnector/domain/application"
)

// TestUpgradePassesThrough: a WebSocket-style upgrade reaches the target with the
// injected credentials, the 101 comes back, and bytes then flow both ways.
func TestUpgradePassesThrough(t *testing.T) {
	e := newEnv(t, nil)
	f := newFaultServer(t, func(c net.Conn) {
		defer c.Close()
		br := bufio.NewReader(c)
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		if req.Header.Get("Upgrade") != "websocket" {
			_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
			"X-Seen-Auth: "+req.Header.Get("Authorization")+"\r\nX-Seen-Path: "+req.URL.Path+"\r\n\r\n")
		_, _ = io.Copy(c, br) // echo
	})
	t.Cleanup(f.close)
	e.putSecret(t, "b", map[string]string{"username": "u", "password": "p"})
	e.put(t, app("ws", f.url()+"/api", &application.Credentials{Type: application.CredentialBasic, SecretName: "b"}))

	c, err := net.Dial("tcp", strings.TrimPrefix(e.standalone.URL, "http://"))
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(5*time.Second)))
	_, err = io.WriteString(c, "GET /ws/orders-api/socket HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
	require.NoError(t, err)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	require.Equal(t, http.StatusSwitchingProtocols, resp.StatusCode)
	assert.Equal(t, "websocket", resp.Header.Get("Upgrade"))
	assert.Equal(t, "Basic dTpw", resp.Header.Get("X-Seen-Auth"))
	assert.Equal(t, "/api/socket", resp.Header.Get("X-Seen-Path"))
	_, err = io.WriteString(c, "ping\n")
	require.NoError(t, err)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "ping\n", line)
}
