from dotbox.cli.toplevel import main

main()
