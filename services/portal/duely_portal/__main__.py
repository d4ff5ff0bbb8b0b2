from duely_portal.main import main

main()
