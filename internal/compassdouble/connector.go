package compassdouble

import (
	"encoding/base64"
	"errors"
	"fmt"
)

// connectorRoot is the Connector's Query and Mutation for caller c (both operation
// types share one root object; validation already restricted the fields).
func (d *Double) connectorRoot(c caller) *obj {
	return &obj{fields: map[string]any{
		"configuration":                 d.rootField("configuration", func(map[string]any) (any, error) { return d.configuration(c) }),
		"signCertificateSigningRequest": d.rootField("signCertificateSigningRequest", func(a map[string]any) (any, error) { return d.signCSR(c, a) }),
		"revokeCertificate":             d.rootField("revokeCertificate", func(map[string]any) (any, error) { return d.revokeCertificate(c) }),
	}}
}

func (d *Double) configuration(c caller) (any, error) {
	if c.revoked {
		// What Compass answers for a revoked certificate (its e2e TestFullConnectorFlow):
		// an object whose fields are all null.
		return &obj{typ: "Configuration", fields: map[string]any{}}, nil
	}
	tok := d.issueToken(c.clientID, CSRTokenTTL)
	return &obj{typ: "Configuration", fields: map[string]any{
		"token": &obj{typ: "Token", fields: map[string]any{"token": tok}},
		"certificateSigningRequestInfo": &obj{typ: "CertificateSigningRequestInfo", fields: map[string]any{
			"subject":      d.sub.forClient(c.clientID),
			"keyAlgorithm": "rsa2048",
		}},
		"managementPlaneInfo": &obj{typ: "ManagementPlaneInfo", fields: map[string]any{
			"directorURL":                    d.DirectorURL(),
			"certificateSecuredConnectorURL": d.CertSecuredConnectorURL(),
		}},
	}}, nil
}

var errRevoked = errors.New("the client certificate is revoked: pair again with a new one-time token")

func (d *Double) signCSR(c caller, args map[string]any) (any, error) {
	if c.revoked {
		return nil, errRevoked
	}
	encoded, _ := args["csr"].(string)
	csr, err := d.sub.checkCSR(encoded, c.clientID)
	if err != nil {
		return nil, err
	}
	clientPEM, err := d.ca.sign(csr, d.now(), d.cfg.CertificateValidity)
	if err != nil {
		return nil, fmt.Errorf("signing the certificate: %w", err)
	}
	d.log.Info("compass double: issued a certificate", "client", c.clientID, "validity", d.cfg.CertificateValidity.String())
	chain := append(append([]byte{}, clientPEM...), d.ca.certPEM...)
	enc := base64.StdEncoding.EncodeToString
	return &obj{typ: "CertificationResult", fields: map[string]any{
		"certificateChain":  enc(chain),
		"caCertificate":     enc(d.ca.certPEM),
		"clientCertificate": enc(clientPEM),
	}}, nil
}

func (d *Double) revokeCertificate(c caller) (any, error) {
	if !c.viaCert {
		return nil, errors.New("revokeCertificate needs the client certificate (the certificate-secured Connector); a token is not accepted")
	}
	if c.revoked {
		return nil, errRevoked
	}
	d.revokeHash(c.certHash)
	d.log.Info("compass double: revoked a certificate", "client", c.clientID)
	return true, nil
}
