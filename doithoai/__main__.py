import sys

from doithoai.cli import main

sys.exit(main())
