"""Hostile input files: name -> bytes (written into the case's ``inputs`` folder)."""

from __future__ import annotations

GOOD_TOML = (b'name = "my-family"\nparameter = "theta"\ndomain = "positive"\nkind = "scale"\n'
             b'mean = "theta"\nvariance = "2*theta**2/n"\n')


def toml(**changes: str) -> bytes:
    """The good family file with keys replaced (a value of None drops the key)."""
    lines = dict(line.split(" = ", 1) for line in GOOD_TOML.decode().splitlines())
    for key, value in changes.items():
        if value is None:
            lines.pop(key, None)
        else:
            lines[key] = value
    return "".join(f"{k} = {v}\n" for k, v in lines.items()).encode()


TOML_FILES: dict[str, bytes] = {
    "empty": b"",
    "binary": bytes(range(256)) * 4,
    "nul": b'name = "a\x00b"\n',
    "not-utf8": b'name = "caf\xe9"\nparameter = "theta"\n',
    "huge-line": b'name = "' + b"a" * 200_000 + b'"\n',
    "malformed": b'name = "unterminated\nparameter = theta\n',
    "duplicate-key": GOOD_TOML + b'variance = "1/n"\n',
    "unknown-key": GOOD_TOML + b'shell = "rm -rf /"\n',
    "name-int": toml(name="3"),
    "parameter-list": toml(parameter='["theta"]'),
    "variance-int": toml(variance="3"),
    "variance-table": toml(variance="{ a = 1 }"),
    "mean-bool": toml(mean="true"),
    "min-size-float": toml(min_size="2.5"),
    "default-string": toml(default='"1"'),
    "domain-bad": toml(domain='"complex"'),
    "kind-bad": toml(kind='"weird"'),
    "no-name": toml(name=None),
    "no-moments": toml(mean=None, variance=None),
    "variance-import": toml(variance="\"__import__('os').system('touch pwned')\""),
    "variance-attribute": toml(variance='"theta.__class__"'),
    "variance-lambda": toml(variance='"(lambda: 1)()"'),
    "variance-newline": toml(variance='"1/n\\n#\\\\input{/etc/passwd}"'),
    "variance-comment": toml(variance='"1/n # x"'),
    "variance-fullwidth": toml(variance='"1/ｎ"'),
    "variance-degree": toml(variance='"1/(n**997 + n + 1)"'),
    "mean-degree": toml(mean='"theta*(1 + 1/n)**500"'),
    "variance-power-tower": toml(variance='"2**2**2**2**2/n"'),
    "variance-gamma-huge": toml(variance='"gamma(10**6)/n"'),
    "variance-zero-division": toml(variance='"1/0"'),
    "variance-negative": toml(variance='"-1/n"'),
    "variance-unknown-name": toml(variance='"x/n"'),
    "variance-too-long": toml(variance='"' + "1/n+" * 200 + '1/n"'),
    "law-import": toml(law="\"__import__('os')\""),
    "law-unknown": toml(law='"theta * Zeta(n)"'),
    "law-degree": toml(mean=None, variance=None, law='"Normal(theta, 1/n**997)"'),
    "law-no-parameter": toml(mean=None, variance=None, law='"Gamma(n, 1)/n"'),
    "name-bad": toml(name='"../../etc/passwd"'),
    "constants-string": toml(constants='{ k = "2" }'),
}

CSV_FILES: dict[str, bytes] = {
    "empty": b"",
    "blank-lines": b"\n\n  \n",
    "binary": bytes(range(256)) * 4,
    "not-utf8": b"t,n,estimate\n0,20,\xe9\n",
    "nul": b"t,n,estimate\n0,20\x00,1.0\n1,20,0.9\n",
    "huge-line": b"t,n,estimate\n0,20," + b"9" * 200_000 + b"\n1,20,0.9\n",
    "header-only": b"t,n,estimate\n",
    "missing-column": b"t,n\n0,20\n1,20\n",
    "duplicate-header": b"t,n,estimate,n\n0,20,1.0,99\n1,20,0.9,99\n",
    "duplicate-header-spaces": b"t, n ,estimate,n\n0,20,1.0,99\n1,20,0.9,99\n",
    "long-row": b"t,n,estimate\n0,20,1.0,5\n1,20,0.9\n",
    "n-huge": b"t,n,estimate\n0,1e30,1.0\n1,1e30,0.9\n",
    "n-text": b"t,n,estimate\n0,twenty,1.0\n1,20,0.9\n",
    "n-float": b"t,n,estimate\n0,20.5,1.0\n1,20,0.9\n",
    "n-negative": b"t,n,estimate\n0,-20,1.0\n1,20,0.9\n",
    "n-nan": b"t,n,estimate\n0,nan,1.0\n1,20,0.9\n",
    "n-fullwidth": "t,n,estimate\n0,\uff12\uff10,1.0\n1,20,0.9\n".encode(),
    "estimate-fullwidth": "t,n,estimate\n0,20,\uff11.\uff10\n1,20,0.9\n".encode(),
    "n-underscore": b"t,n,estimate\n0,1_0,1.0\n1,20,0.9\n",
    "n-2-53-plus-1": b"t,n,estimate\n0,9007199254740993,1.0\n1,20,0.9\n",
    "t-gap": b"t,n,estimate\n0,20,1.0\n2,20,0.9\n",
    "t-huge": b"t,n,estimate\n0,20,1.0\n1e300,20,0.9\n",
    "estimate-negative": b"t,n,estimate\n0,20,1.0\n1,20,-0.9\n",
    "estimate-inf": b"t,n,estimate\n0,20,1.0\n1,20,inf\n",
    "estimate-empty": b"t,n,estimate\n0,20,1.0\n1,20,\n",
    "formula": b"t,n,estimate\n0,20,=cmd|' /C calc'!A0\n1,20,0.9\n",
    "quote-unbalanced": b't,n,estimate\n0,20,"1.0\n1,20,0.9\n',
    "one-generation": b"t,n,estimate\n0,20,1.0\n",
}

#: tables for ``reproduce --data FILE --target y`` (the real-data study), refused up front
TABLE_FILES: dict[str, bytes] = {
    "empty": b"",
    "binary": bytes(range(256)) * 4,
    "duplicate-header": b"a,a,y\n1,2,0\n3,4,1\n5,6,0\n",
    "no-target": b"a,b\n1,2\n3,4\n",
    "text-cells": b"a,y\n1,0\nx,1\n5,0\n",
    "long-row": b"a,y\n1,0,9\n",
    "header-only": b"a,y\n",
}
