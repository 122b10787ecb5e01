#!/bin/bash
# tests/tls_mkcerts.sh DIR - the certificates the TLS tests use: a CA, server certificates
# good and bad (names, dates, unknown issuer, RSA-PSS, nameConstraints), a self-signed
# non-CA one, and client certificates with keys in every format BearSSL reads (and one it
# cannot: encrypted).
set -eu
d=$1
mkdir -p "$d"
cd "$d"
exec 2>mkcerts.log

ossl() { openssl "$@" >/dev/null; }

ext() { # ext FILE SAN [extra lines]: an extension file for a server certificate
	local f=$1 san=$2
	shift 2
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
		"$san" >"$f"
	for l in "$@"; do echo "$l" >>"$f"; done
}

ca() { # ca NAME SUBJECT [extra -addext]...
	local n=$1 subj=$2
	shift 2
	ossl req -x509 -newkey rsa:2048 -nodes -keyout "$n.key" -out "$n.crt" -days 30 \
		-subj "$subj" -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" "$@"
}

leaf() { # leaf NAME CA SAN KEYALG [x509 args]...
	local n=$1 c=$2 san=$3 alg=$4
	shift 4
	ossl req -newkey "$alg" -nodes -keyout "$n.key" -out "$n.csr" -subj "/CN=$n"
	ext "$n.ext" "$san"
	ossl x509 -req -in "$n.csr" -CA "$c.crt" -CAkey "$c.key" -CAcreateserial \
		-out "$n.crt" -days 30 -extfile "$n.ext" "$@"
}

ca ca "/CN=polycrate tls test CA"
ca other-ca "/CN=someone else's CA"
# An intermediate CA with critical nameConstraints (BearSSL rejects it; as an anchor it would
# not be looked at, so the server sends it in its chain).
ossl req -newkey rsa:2048 -nodes -keyout nc-ca.key -out nc-ca.csr -subj "/CN=constrained CA"
printf '%s\n' "basicConstraints=critical,CA:TRUE" "keyUsage=critical,keyCertSign,cRLSign" \
	"nameConstraints=critical,permitted;DNS:localhost" >nc-ca.ext
ossl x509 -req -in nc-ca.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out nc-ca.crt \
	-days 30 -extfile nc-ca.ext

leaf good ca "DNS:localhost,IP:127.0.0.1,IP:::1" rsa:2048
leaf good-ec ca "DNS:localhost,IP:127.0.0.1" ec:<(openssl ecparam -name prime256v1)
leaf ipv4 ca "IP:127.0.0.1" ec:<(openssl ecparam -name prime256v1)
leaf ipv6 ca "IP:::1" ec:<(openssl ecparam -name prime256v1)
leaf dnsonly ca "DNS:localhost" ec:<(openssl ecparam -name prime256v1)
leaf wrongname ca "DNS:other.example,IP:10.9.8.7" ec:<(openssl ecparam -name prime256v1)
leaf unknown other-ca "DNS:localhost,IP:127.0.0.1" ec:<(openssl ecparam -name prime256v1)
leaf pss ca "DNS:localhost,IP:127.0.0.1" rsa:2048 -sigopt rsa_padding_mode:pss
leaf nc nc-ca "DNS:localhost" ec:<(openssl ecparam -name prime256v1)

# Dates out of range need `openssl ca` (x509 -req has no start date in OpenSSL 3.0).
mkdir -p ca.db
: >ca.db/index
cat >ca.cnf <<CNF
[ca]
default_ca = tca
[tca]
database = ca.db/index
new_certs_dir = ca.db
serial = ca.db/serial
default_md = sha256
policy = any
copy_extensions = none
[any]
commonName = supplied
CNF
echo 1000 >ca.db/serial
for w in expired:20200101000000Z:20200201000000Z future:20990101000000Z:20990201000000Z; do
	n=${w%%:*}
	r=${w#*:}
	ossl req -newkey ec:<(openssl ecparam -name prime256v1) -nodes -keyout "$n.key" \
		-out "$n.csr" -subj "/CN=$n"
	ext "$n.ext" "DNS:localhost,IP:127.0.0.1"
	ossl ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key -in "$n.csr" \
		-out "$n.crt" -startdate "${r%%:*}" -enddate "${r#*:}" -extfile "$n.ext" -notext
done

# A self-signed server certificate that is no CA (trusted only as itself).
ossl req -x509 -newkey ec:<(openssl ecparam -name prime256v1) -nodes -keyout self.key \
	-out self.crt -days 30 -subj "/CN=localhost" \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	-addext "basicConstraints=critical,CA:FALSE"

# Client identities: PKCS#8 RSA, PKCS#1 RSA, SEC1 EC, and an encrypted key.
ossl req -newkey rsa:2048 -nodes -keyout client.key -out client.csr -subj "/CN=client"
printf 'extendedKeyUsage=clientAuth\n' >client.ext
ossl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out client.crt \
	-days 30 -extfile client.ext
ossl rsa -in client.key -out client-pkcs1.key -traditional
ossl ecparam -name prime256v1 -genkey -noout -out client-ec.key
ossl req -new -key client-ec.key -out client-ec.csr -subj "/CN=client-ec"
ossl x509 -req -in client-ec.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
	-out client-ec.crt -days 30 -extfile client.ext
ossl pkey -in client.key -out client-enc.key -aes256 -passout pass:secret
ossl rsa -in client.key -out client-legacy-enc.key -aes256 -passout pass:secret -traditional
echo ok >done
