from duely_gateway.main import main

main()
