"""The Keras child: ``python -m archc.frameworks.keras_child TASK`` reads a list of jobs (JSON) on stdin and prints
one line ``ARCHC_KERAS_RESULT {json}`` per job (see :mod:`archc.frameworks.keras_backends`). It runs on the backend its
environment names (``KERAS_BACKEND``); the generated source travels in the job and is executed in memory.

Tasks: ``verify`` — build the model and measure what :func:`archc.frameworks.verify.check_keras` compares
(input shape, ``count_params()``, MACs from the kernels, the named stage layers' and the outputs' shapes).
"""

from __future__ import annotations

import json
import sys
import types

from archc.frameworks.keras_backends import RESULT_TAG


def load_source(source: str, name: str) -> types.ModuleType:
    module = types.ModuleType(f"archc_keras_{name.replace('/', '_')}")
    module.__file__ = f"<archc generated {name}.py>"
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102 - archc's own output
    return module


def verify(job: dict) -> dict:
    from archc.frameworks.quiet import import_keras
    from archc.frameworks.verify import measure_keras

    keras = import_keras()
    model = load_source(job["source"], job["name"]).build_model()
    return {"backend": keras.config.backend(), **measure_keras(model, job["layers"])}


TASKS = {"verify": verify}


def main(argv: list[str]) -> int:
    for job in json.loads(sys.stdin.read()):  # a list of jobs: one result line each, as each is done
        print(f"{RESULT_TAG} {json.dumps(TASKS[argv[0]](job))}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
