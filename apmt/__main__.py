from apmt.cli import main

raise SystemExit(main())
