package componenttest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/url"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/appconnector/appconnector/adapters/connectorapi/client"
	"github.com/appconnector/appconnector/adapters/connectorapi/schema"
	"github.com/appconnector/appconnector/internal/realservers"
)

// The helpers below talk to a connector by its bound address, not by the URLs it
// announces: replicas listening on port 0 announce port 0. They return errors instead of
// failing the test, so that goroutines racing each other can call them.

// CAPool is the pool of the CA a connector created in the Secret "appconnector-ca" of ns,
// which its listeners' certificates chain to.
func CAPool(t *testing.T, k *realservers.Kube, ns string) *x509.CertPool {
	t.Helper()
	sec, err := k.Client(t).CoreV1().Secrets(ns).Get(t.Context(), "appconnector-ca", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("CA Secret: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(sec.Data["ca.crt"]) {
		t.Fatal("CA Secret: no certificate in ca.crt")
	}
	return pool
}

// Pair is what one external system does with a one-time token secret: the signing-request
// info from the connector at infoAddr, then a certificate for a fresh key with the next
// token from the connector at csrAddr. A refusal is a *client.Error with its status code.
func Pair(hc *http.Client, infoAddr, csrAddr, secret string) (tls.Certificate, error) {
	info, err := client.SigningInfo(context.Background(), hc, "https://"+infoAddr+schema.PathSigningInfo+"?token="+url.QueryEscape(secret))
	if err != nil {
		return tls.Certificate{}, err
	}
	next, err := NextToken(info)
	if err != nil {
		return tls.Certificate{}, err
	}
	return RequestCertificate(hc, csrAddr, next, info.Certificate.Subject)
}

// NextToken is the one-time token of the signing step, from the info's csrUrl.
func NextToken(info schema.CSRInfoResponse) (string, error) {
	u, err := url.Parse(info.CSRURL)
	if err != nil {
		return "", err
	}
	tok := u.Query().Get("token")
	if tok == "" {
		return "", errors.New("csrUrl carries no token")
	}
	return tok, nil
}

// RequestCertificate asks the connector at addr for a certificate of subject with a fresh
// key and the one-time token; a refusal is a *client.Error with its status code.
func RequestCertificate(hc *http.Client, addr, token, subject string) (tls.Certificate, error) {
	key, err := client.GenerateKey(client.KeyECDSAP256)
	if err != nil {
		return tls.Certificate{}, err
	}
	csr, err := client.NewCSR(key, subject)
	if err != nil {
		return tls.Certificate{}, err
	}
	body, _ := json.Marshal(schema.CSRRequest{CSR: csr})
	resp, err := hc.Post("https://"+addr+schema.PathCertificates+"?token="+url.QueryEscape(token), "application/json", bytes.NewReader(body))
	if err != nil {
		return tls.Certificate{}, err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return tls.Certificate{}, &client.Error{StatusCode: resp.StatusCode, Message: string(data)}
	}
	var out schema.CSRResponse
	if err := json.Unmarshal(data, &out); err != nil {
		return tls.Certificate{}, err
	}
	chain, err := base64.StdEncoding.DecodeString(out.CRT)
	if err != nil {
		return tls.Certificate{}, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(chain, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
}

// MTLSClient presents cert to servers verified against pool.
func MTLSClient(pool *x509.CertPool, cert tls.Certificate) *http.Client {
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}}}
}

// StatusOf is the status code of a refusal from Pair or RequestCertificate; 0 for any
// other error.
func StatusOf(err error) int {
	var e *client.Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}
