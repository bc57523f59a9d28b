from qapic.cli import main

raise SystemExit(main())
