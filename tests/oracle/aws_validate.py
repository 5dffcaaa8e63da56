#!/usr/bin/env python3
"""Digest-signature oracle: the AWS CLI's own validator judges every digest file of a local archive.

    python aws_validate.py ARCHIVE_DIR KEYS_JSON

Needs the PyPI package `awscli==1.46.3` (its module `awscli.customizations.cloudtrail.validation`); run it
with the interpreter of the venv that .ci/run prepares. Nothing is reached over the network: the S3 client
the CLI code asks for is a stand-in that serves the local file.

ARCHIVE_DIR holds CloudTrail's layout. Digest files are the files named
`<acct>_CloudTrail-Digest_<region>_<trail>_<homeRegion>_<YYYYMMDDTHHMMSSZ>[_backfill].json.gz` that sit under
a `CloudTrail-Digest` folder, at any depth (so `[prefix/]AWSLogs/[o-xxxx/]<acct>/...` and the Control Tower
`o-xxxx/AWSLogs/...` layouts both work).

KEYS_JSON is `aws cloudtrail list-public-keys` output: `{"PublicKeyList": [{"Value", "Fingerprint", ...}]}`.
The key used for a digest is the one whose Fingerprint equals the digest's `digestPublicKeyFingerprint`,
as the CLI does. The validator base64-decodes the value it is handed once and loads the result as a PKCS#1
RSAPublicKey in DER. `Value` is accepted in either form: base64 of the DER, or base64 of that base64 text
(the blob the API returns is itself base64 text, and the CLI prints blobs base64-encoded); the value is
handed to the validator in the form it decodes to DER.

Where a digest's signature comes from:
  * the sidecar `<digest path>.metadata.json`, shaped like `aws s3api head-object` output; its `Metadata`
    object is handed to the CLI as the S3 object metadata, so a sidecar without `signature` or
    `signature-algorithm` is judged by the CLI (it rejects it);
  * with no sidecar, the `previousDigestSignature` of the digest whose `previousDigestS3Object` equals this
    digest's `digestS3Object` (one whose `previousDigestS3Bucket` also equals `digestS3Bucket` is preferred,
    then the first by path), with the digest's own `digestSignatureAlgorithm` as the algorithm.

The S3 bucket and key handed to the CLI are the digest's own `digestS3Bucket` and `digestS3Object`.

The CLI code run for each digest, in order: `DigestProvider.fetch_digest` (gunzip, JSON decode, signature
metadata), then `DigestTraverser._load_and_validate_digest` (required fields, S3 location, public key
lookup, then `Sha256RSADigestValidator.validate`).

Output: one JSON object per line per digest file, sorted by path:
    {"object": "<path relative to ARCHIVE_DIR>", "accepted": true|false, "reason": "..."}
`reason` is empty when accepted, "no signature" when neither a sidecar nor a successor gives one,
"key not found" when KEYS_JSON has no key with the digest's fingerprint, "unreadable metadata sidecar: ..."
when the sidecar is not a JSON object, and otherwise the CLI's own error message (a `DigestError`; an
unexpected exception is worded the way the CLI's traverser words it).

Exit status: 0 when it ran, whatever it found; 1 when awscli cannot be imported; 2 on usage errors
(wrong arguments, ARCHIVE_DIR not a folder, KEYS_JSON unreadable or not shaped as above).
"""

import base64
import binascii
import io
import json
import os
import re
import sys
import zlib

DIGEST_NAME = re.compile(
    r'^\d{12}_CloudTrail-Digest_.+_\d{8}T\d{6}Z(_backfill)?\.json\.gz$'
)
SIDECAR_SUFFIX = '.metadata.json'


def usage(message):
    sys.stderr.write(f'aws_validate.py: {message}\n')
    sys.stderr.write('usage: python aws_validate.py ARCHIVE_DIR KEYS_JSON\n')
    sys.exit(2)


def find_digests(archive):
    """Paths of the digest files under archive, as (absolute path, relative path with / separators)."""
    found = []
    for root, dirs, files in os.walk(archive):
        dirs.sort()
        rel_root = os.path.relpath(root, archive)
        parts = [] if rel_root == os.curdir else rel_root.split(os.sep)
        if 'CloudTrail-Digest' not in parts:
            continue
        for name in files:
            if DIGEST_NAME.match(name):
                full = os.path.join(root, name)
                found.append((full, '/'.join(parts + [name])))
    found.sort(key=lambda item: item[1])
    return found


def load_keys(path):
    """Fingerprint -> list-public-keys entry, the same dict PublicKeyProvider.get_public_keys builds."""
    try:
        with open(path, encoding='utf-8') as handle:
            doc = json.load(handle)
    except (OSError, ValueError) as e:
        usage(f'cannot read {path}: {e}')
    entries = doc.get('PublicKeyList') if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        usage(f'{path} has no PublicKeyList list')
    keys = {}
    for entry in entries:
        if not isinstance(entry, dict) or 'Fingerprint' not in entry or 'Value' not in entry:
            usage(f'{path}: every PublicKeyList entry needs Fingerprint and Value')
        keys[entry['Fingerprint']] = dict(entry, Value=key_value_for_validator(entry['Value']))
    return keys


def key_value_for_validator(value):
    """The bytes botocore would hold for the key blob: base64 text of the PKCS#1 DER.

    A Value whose base64 decoding already starts a DER SEQUENCE is that text; otherwise the decoded bytes are.
    A Value that does not decode at all is passed through for the validator to reject."""
    text = value.encode('ascii', 'replace') if isinstance(value, str) else value
    try:
        decoded = base64.b64decode(text)
    except (binascii.Error, ValueError):
        return text
    if decoded[:1] == b'\x30':
        return text
    return decoded


def read_digest(path):
    """(raw bytes, decoded JSON or None). Decoded the way DigestProvider.fetch_digest decodes."""
    with open(path, 'rb') as handle:
        raw = handle.read()
    try:
        data = json.loads(zlib.decompress(raw, zlib.MAX_WBITS | 16).decode())
    except (ValueError, zlib.error):
        data = None
    return raw, data if isinstance(data, dict) else None


def read_sidecar(path):
    """(exists, metadata dict or None, error text or None)."""
    sidecar = path + SIDECAR_SUFFIX
    if not os.path.isfile(sidecar):
        return False, None, None
    try:
        with open(sidecar, encoding='utf-8') as handle:
            doc = json.load(handle)
    except (OSError, ValueError) as e:
        return True, None, str(e)
    if not isinstance(doc, dict):
        return True, None, 'not a JSON object'
    metadata = doc.get('Metadata')
    return True, metadata if isinstance(metadata, dict) else {}, None


def successor_signatures(digests):
    """digestS3Object -> list of (bucket match rank, path, previousDigestSignature) from its successors."""
    links = {}
    for rel, (_, data) in digests.items():
        if data is None:
            continue
        prev_key = data.get('previousDigestS3Object')
        if not isinstance(prev_key, str):
            continue
        links.setdefault(prev_key, []).append(
            (data.get('previousDigestS3Bucket'), rel, data.get('previousDigestSignature'))
        )
    return links


def successor_signature(links, data):
    candidates = links.get(data.get('digestS3Object'), [])
    bucket = data.get('digestS3Bucket')
    candidates = sorted(candidates, key=lambda c: (c[0] != bucket, c[1]))
    for _, _, signature in candidates:
        if isinstance(signature, str) and signature:
            return signature
    return None


class LocalObject:
    """Stands in for an S3 client holding one object: get_object returns it whatever is asked."""

    def __init__(self, body, metadata):
        self._body = body
        self._metadata = metadata

    def get_object(self, Bucket, Key):
        return {'Body': io.BytesIO(self._body), 'Metadata': dict(self._metadata)}


class LocalClientProvider:
    """Stands in for validation.S3ClientProvider."""

    def __init__(self, client):
        self._client = client

    def get_client(self, bucket_name):
        return self._client


def home_region(rel):
    """The home region from a digest file name (only used in the CLI's wording of messages)."""
    match = re.search(r'_([^_]+)_\d{8}T\d{6}Z(_backfill)?\.json\.gz$', rel)
    return match.group(1) if match else ''


def judge(validation, rel, raw, data, metadata, keys):
    """Run the CLI's fetch + validate on one digest; returns the reason ('' when accepted)."""
    if data is not None and isinstance(data.get('digestS3Bucket'), str):
        bucket = data['digestS3Bucket']
    else:
        bucket = ''
    if data is not None and isinstance(data.get('digestS3Object'), str):
        key = data['digestS3Object']
    else:
        key = rel
    provider = validation.DigestProvider(
        s3_client_provider=LocalClientProvider(LocalObject(raw, metadata or {})),
        account_id=(data or {}).get('awsAccountId', ''),
        trail_name='',
        trail_home_region=home_region(rel),
    )
    traverser = validation.DigestTraverser(
        digest_provider=provider,
        starting_bucket=bucket,
        starting_prefix=None,
        public_key_provider=None,
    )
    try:
        traverser._load_and_validate_digest(dict(keys), bucket, key)
    except validation.DigestError as e:
        return str(e)
    except Exception as e:  # worded as DigestTraverser._traverse_digest_chain words unexpected errors
        return f'Digest file\ts3://{bucket}/{key}\tINVALID: {str(e)}'
    return ''


def main(argv):
    if len(argv) != 3:
        usage('expected ARCHIVE_DIR and KEYS_JSON')
    archive, keys_path = argv[1], argv[2]
    if not os.path.isdir(archive):
        usage(f'{archive} is not a folder')
    keys = load_keys(keys_path)
    try:
        from awscli.customizations.cloudtrail import validation
    except ImportError as e:
        sys.stderr.write(f'aws_validate.py: cannot import the AWS CLI validator: {e}\n')
        return 1

    files = find_digests(archive)
    digests = {rel: read_digest(full) for full, rel in files}
    links = successor_signatures(digests)

    out = sys.stdout
    for full, rel in files:
        raw, data = digests[rel]
        exists, metadata, sidecar_error = read_sidecar(full)
        if sidecar_error is not None:
            reason = f'unreadable metadata sidecar: {sidecar_error}'
        elif data is None:
            # Undecodable: the CLI's fetch_digest rejects it before it looks at any metadata.
            reason = judge(validation, rel, raw, None, metadata, keys)
        else:
            if not exists:
                signature = successor_signature(links, data)
                if signature is not None:
                    algorithm = data.get('digestSignatureAlgorithm')
                    metadata = {
                        'signature': signature,
                        'signature-algorithm': algorithm if isinstance(algorithm, str) else 'SHA256withRSA',
                    }
            fingerprint = data.get('digestPublicKeyFingerprint')
            if metadata is None:
                reason = 'no signature'
            elif 'digestPublicKeyFingerprint' in data and (
                not isinstance(fingerprint, str) or fingerprint not in keys
            ):
                reason = 'key not found'
            else:
                reason = judge(validation, rel, raw, data, metadata, keys)
        out.write(json.dumps({'object': rel, 'accepted': reason == '', 'reason': reason}) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
